package dev.attest.properties.engine;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Locale;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;

/**
 * The per-property time limit of the conformance kits, settable with {@code -Dattest.timeout=SECONDS} (a positive
 * integer; default {@value #DEFAULT_SECONDS}). Register it on a kit with {@code @ExtendWith(PropertyTimeout.class)}.
 *
 * <p>Why not JUnit's {@code @Timeout}: its value is a compile-time constant, so a user with a slow backend (or a
 * CI with a tight budget) could not change it. Like {@code @Timeout(threadMode = SEPARATE_THREAD)}, each property
 * runs on a thread of its own and the caller stops waiting at the limit. The thread is a daemon: a backend that
 * hangs and ignores the interrupt cannot be stopped inside the JVM, but it cannot keep the JVM from exiting either,
 * and the property is recorded as failed with a message starting {@code timeout:}.
 *
 * <p>{@link #runWithin} is the same mechanism without JUnit: the kill matrix runs properties by reflection with it.
 */
public final class PropertyTimeout implements InvocationInterceptor {

    /** The system property that sets the limit, in seconds. */
    public static final String PROPERTY = "attest.timeout";
    /** The limit when {@value #PROPERTY} is not set: five minutes. */
    public static final int DEFAULT_SECONDS = 300;

    /** The body of a timed run; anything it throws is rethrown to the caller unchanged. */
    @FunctionalInterface
    public interface Body {
        void run() throws Throwable;
    }

    /** The limit from the system property {@value #PROPERTY}. */
    public static Duration limit() {
        return limit(System::getProperty);
    }

    /**
     * The limit from any lookup of {@value #PROPERTY}.
     *
     * @throws IllegalArgumentException naming the property and its value when it is not a positive integer
     */
    public static Duration limit(UnaryOperator<String> lookup) {
        int seconds = PropertySettings.read(lookup, PROPERTY, DEFAULT_SECONDS, "a positive integer number of seconds",
                text -> {
                    int value = Integer.parseInt(text);
                    if (value < 1) {
                        throw new IllegalArgumentException("must be at least 1");
                    }
                    return value;
                });
        return Duration.ofSeconds(seconds);
    }

    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
            ExtensionContext extensionContext) throws Throwable {
        runWithin(limit(), PROPERTY, invocationContext.getExecutable().getName(), invocation::proceed);
    }

    /**
     * Runs {@code body} on a new daemon thread named after {@code name} and waits for it at most {@code limit}.
     *
     * @param setting the setting that chose the limit, named in the timeout message so the reader knows what to
     *     change
     * @throws AssertionError {@code timeout: the property did not finish within N s (setting)} when the limit
     *     passes first (the thread is interrupted and left behind)
     * @throws Throwable whatever {@code body} threw
     */
    public static void runWithin(Duration limit, String setting, String name, Body body) throws Throwable {
        Throwable[] thrown = new Throwable[1];
        Thread worker = Thread.ofPlatform().daemon().name("attest property " + name).start(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                thrown[0] = t;
            }
        });
        if (!worker.join(limit)) {
            worker.interrupt();
            throw new AssertionError("timeout: the property did not finish within " + seconds(limit) + " s ("
                    + setting + ")");
        }
        // join() orders the worker's write to thrown[0] before this read
        if (thrown[0] != null) {
            throw thrown[0];
        }
    }

    /** 300 for whole seconds, 0.5 for a fraction. */
    private static String seconds(Duration limit) {
        return limit.toNanos() % 1_000_000_000L == 0 ? Long.toString(limit.toSeconds())
                : String.format(Locale.ROOT, "%.3g", limit.toNanos() / 1e9);
    }
}
