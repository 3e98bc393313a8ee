package dev.attest.properties.engine;

import dev.attest.properties.LaunchedKit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.engine.TestExecutionResult.Status;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kits' per-property limit, {@code -Dattest.timeout}: read, validated, and enforced on a daemon thread. */
class PropertyTimeoutTest {

    @Test
    void theLimitIsReadInSecondsWithADefaultOfFiveMinutes() {
        assertEquals(Duration.ofSeconds(300), PropertyTimeout.limit(key -> null));
        assertEquals(Duration.ofSeconds(300), PropertyTimeout.limit(key -> " "));
        assertEquals(Duration.ofSeconds(12), PropertyTimeout.limit(Map.of("attest.timeout", "12")::get));
    }

    @Test
    void anInvalidLimitNamesThePropertyAndTheValue() {
        for (String bad : List.of("0", "-3", "soon", "1.5")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PropertyTimeout.limit(Map.of("attest.timeout", bad)::get));
            assertTrue(e.getMessage().contains("attest.timeout") && e.getMessage().contains("'" + bad + "'")
                    && e.getMessage().contains("positive integer"), e::getMessage);
        }
    }

    /** Stops the hanging property of {@link Kit} once the test has seen it time out. */
    private static volatile boolean release;
    private static volatile Thread hungThread;

    /** A kit-like class under the extension: one property hangs ignoring interrupts, one aborts, one passes. */
    @ExtendWith(PropertyTimeout.class)
    @TestMethodOrder(MethodOrderer.MethodName.class)
    static class Kit {
        @Test
        void aborts() {
            Assumptions.abort("unsupported: nothing");
        }

        @Test
        void hangs() {
            hungThread = Thread.currentThread();
            while (!release) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ignored) {
                    // a backend that swallows the interrupt: the limit must not depend on it stopping
                }
            }
        }

        @Test
        void passes() {
        }
    }

    @Test
    void aPropertyPastTheLimitFailsWithATimeoutOnADaemonThreadAndTheOthersRunAsUsual() {
        release = false;
        System.setProperty(PropertyTimeout.PROPERTY, "1");
        try {
            long start = System.nanoTime();
            List<LaunchedKit.Outcome> outcomes = LaunchedKit.run(Kit.class);
            assertTrue((System.nanoTime() - start) / 1e9 < 20, "the launcher waited on the hang");
            assertEquals(List.of("aborts()", "hangs()", "passes()"), outcomes.stream().map(LaunchedKit.Outcome::test).toList());
            assertEquals(Status.ABORTED, outcomes.get(0).status());
            assertEquals("unsupported: nothing", outcomes.get(0).message());
            assertEquals(Status.FAILED, outcomes.get(1).status());
            assertEquals("timeout: the property did not finish within 1 s (attest.timeout)", outcomes.get(1).message());
            assertTrue(hungThread.isDaemon() && hungThread.isAlive(), "the hung property is left on a daemon thread");
            assertEquals(Status.SUCCESSFUL, outcomes.get(2).status());
        } finally {
            System.clearProperty(PropertyTimeout.PROPERTY);
            release = true;
        }
    }

    @Test
    void anInvalidLimitFailsEachPropertyClearly() {
        System.setProperty(PropertyTimeout.PROPERTY, "five");
        try {
            for (LaunchedKit.Outcome o : LaunchedKit.run(Kit.class)) {
                assertEquals(Status.FAILED, o.status(), o.test());
                assertTrue(o.message().contains("invalid value for system property attest.timeout: 'five'"), o.message());
            }
        } finally {
            System.clearProperty(PropertyTimeout.PROPERTY);
        }
    }
}
