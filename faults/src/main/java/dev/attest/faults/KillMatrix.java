package dev.attest.faults;

import dev.attest.faults.FaultDetection.Cell;
import dev.attest.faults.FaultDetection.MutantResult;
import dev.attest.faults.FaultDetection.Outcome;
import dev.attest.properties.cases.AttentionCase;
import dev.attest.properties.cases.CacheCase;
import dev.attest.properties.cases.LayerCase;
import dev.attest.properties.contract.AttentionContract;
import dev.attest.properties.engine.PropertyFailure;
import dev.attest.properties.engine.PropertyTimeout;
import dev.attest.properties.linear.LinearAttentionContract;
import dev.attest.properties.linear.LinearCase;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.LinearAttentionBackend;
import org.opentest4j.TestAbortedException;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The kill matrix: runs every property of the right kit against every mutant of the planted-bug catalog
 * ({@link Catalog}) and records which properties kill which mutant. A mutant that no property kills has survived:
 * the suite has lost its teeth for that bug. {@code KillMatrixTest} fails the build on a survivor; {@code attest
 * report} shows the matrix as its fault-detection section and exits 1 on a survivor.
 *
 * <h2>How a property is run and judged</h2>
 * Each {@code required_*} and {@code optional_*} method of {@link AttentionContract} (softmax mutants) or
 * {@link LinearAttentionContract} (linear mutants) is invoked directly on the kit bound to a fresh instance of the
 * mutant, with the run's seed and tries (system properties {@code attest.seed} and {@code attest.tries}, set for
 * the run and restored after it). The outcome is:
 * <ul>
 *   <li>{@code killed}: it threw a {@link PropertyFailure} or another {@link AssertionError} (or any other
 *       exception: a crash is a failure too), or it ran past the kit's time limit ({@code -Dattest.timeout},
 *       {@link PropertyTimeout}; a hang is a failure);</li>
 *   <li>{@code not-applicable}: it threw {@link TestAbortedException} (the mutant does not declare what it needs);</li>
 *   <li>{@code survived}: it returned normally;</li>
 *   <li>{@code not-run}: the time budget ({@link Settings#budgetSeconds()}) was spent first. Each mutant's pinned
 *       property always runs first, so the budget never hides a kill that is expected.</li>
 * </ul>
 * A catalog entry's pinned property must kill its mutant with the pinned phrase in its message (STYLE.md, "Planted
 * bugs"); a miss is recorded as the row's {@code pinnedMiss}.
 *
 * <p>The properties print their one-line statistics on {@code System.out} as they do under JUnit; a caller that
 * wants a quiet console captures it.
 */
public final class KillMatrix {

    /** The run seed of the build ({@code attest.seed} in pom.xml) and of {@code attest report}. */
    public static final long DEFAULT_SEED = 20261123L;
    /** Random cases per property: the build's {@code attest.tries} (pom.xml), so the CLI's matrix is the build's. */
    public static final int DEFAULT_TRIES = 100;

    private KillMatrix() {
    }

    /**
     * How the matrix runs.
     *
     * @param seed          the run seed of every property
     * @param tries         random cases per property (after the edge cases)
     * @param budgetSeconds after this long, the remaining non-pinned properties are {@code not-run};
     *                      {@link Double#POSITIVE_INFINITY} for no budget
     */
    public record Settings(long seed, int tries, double budgetSeconds) {
        public Settings {
            if (tries < 1) throw new IllegalArgumentException("tries must be at least 1, got " + tries);
            if (!(budgetSeconds > 0)) throw new IllegalArgumentException("the budget must be positive, got " + budgetSeconds);
        }

        /** The build's seed and tries, no budget. */
        public static Settings defaults() {
            return new Settings(DEFAULT_SEED, DEFAULT_TRIES, Double.POSITIVE_INFINITY);
        }
    }

    /** Told of each row as it is finished (for progress). */
    @FunctionalInterface
    public interface Listener {
        void mutantDone(int done, int total, MutantResult row);
    }

    /** Runs the matrix over {@code mutants} (see {@link Catalog}). */
    public static FaultDetection run(List<Mutant> mutants, Settings settings, Listener listener) {
        String seedBefore = System.getProperty("attest.seed"), triesBefore = System.getProperty("attest.tries");
        System.setProperty("attest.seed", Long.toString(settings.seed()));
        System.setProperty("attest.tries", Integer.toString(settings.tries()));
        long start = System.nanoTime();
        long budgetNanos = Double.isInfinite(settings.budgetSeconds()) ? Long.MAX_VALUE
                : (long) (settings.budgetSeconds() * 1e9);
        List<MutantResult> rows = new ArrayList<>();
        try {
            for (Mutant mutant : mutants) {
                rows.add(row(mutant, settings, start, budgetNanos));
                if (listener != null) listener.mutantDone(rows.size(), mutants.size(), rows.getLast());
            }
        } finally {
            restore("attest.seed", seedBefore);
            restore("attest.tries", triesBefore);
        }
        return FaultDetection.of(settings.seed(), settings.tries(), (System.nanoTime() - start) / 1e9, rows);
    }

    private static void restore(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }

    private static MutantResult row(Mutant mutant, Settings settings, long start, long budgetNanos) {
        long mutantStart = System.nanoTime();
        List<Method> properties = propertiesOf(mutant.kit());
        if (mutant.expectedKiller() != null) {
            Method pinned = properties.stream().filter(m -> m.getName().equals(mutant.expectedKiller())).findFirst()
                    .orElseThrow(() -> new IllegalStateException(mutant.id() + ": no property named "
                            + mutant.expectedKiller()));
            properties.remove(pinned);
            properties.addFirst(pinned);
        }
        Map<String, Cell> results = new TreeMap<>();
        String pinnedMessage = null;
        for (Method property : properties) {
            boolean pinned = property.getName().equals(mutant.expectedKiller());
            if (!pinned && System.nanoTime() - start > budgetNanos) {
                results.put(property.getName(), new Cell(Outcome.NOT_RUN, null, null, null, 0));
                continue;
            }
            Run run = run(mutant, property, settings);
            results.put(property.getName(), run.cell());
            if (pinned) pinnedMessage = run.message();
        }
        return MutantResult.of(mutant.id(), mutant.kit(), mutant.description(), mutant.reportedAt(),
                (System.nanoTime() - mutantStart) / 1e9,
                pinnedMiss(mutant, results, pinnedMessage), new LinkedHashMap<>(results));
    }

    private static String pinnedMiss(Mutant m, Map<String, Cell> results, String message) {
        if (m.expectedKiller() == null) return null;
        Cell pinned = results.get(m.expectedKiller());
        if (pinned == null || !pinned.killed()) {
            return "the pinned property " + m.expectedKiller() + " did not kill it ("
                    + (pinned == null ? "missing" : pinned.outcome().label()) + ")";
        }
        if (m.phrase() != null && (message == null || !message.contains(m.phrase()))) {
            return m.expectedKiller() + " killed it but its message lacks '" + m.phrase() + "':\n" + message;
        }
        return null;
    }

    /** The kit's required_ and optional_ properties, by name. */
    static List<Method> propertiesOf(Mutant.Kit kit) {
        Class<?> type = kit == Mutant.Kit.SOFTMAX ? AttentionContract.class : LinearAttentionContract.class;
        List<Method> declared = new ArrayList<>();     // the kit's clauses are spread over a chain of classes
        for (Class<?> c = type; c != null; c = c.getSuperclass()) declared.addAll(Arrays.asList(c.getDeclaredMethods()));
        return new ArrayList<>(declared.stream()
                .filter(m -> Modifier.isPublic(m.getModifiers()) && m.getParameterCount() == 0)
                .filter(m -> m.getName().startsWith("required_") || m.getName().startsWith("optional_"))
                .sorted(Comparator.comparing(Method::getName)).toList());
    }

    /** Overrides the limit for the kill matrix alone, in (possibly fractional) seconds; tests use a short one. */
    static final String LIMIT_OVERRIDE = "attest.killMatrix.propertyLimitSeconds";

    /**
     * How long one property may run against a mutant: the kit's own limit ({@code -Dattest.timeout}, see
     * {@link PropertyTimeout}), or {@value #LIMIT_OVERRIDE} when set.
     */
    static Duration propertyLimit() {
        String override = System.getProperty(LIMIT_OVERRIDE, "").strip();
        if (!override.isEmpty()) return Duration.ofMillis((long) (Double.parseDouble(override) * 1000));
        return PropertyTimeout.limit();
    }

    /** The setting {@link #propertyLimit()} came from, for the timeout message. */
    private static String limitSetting() {
        return System.getProperty(LIMIT_OVERRIDE, "").isBlank() ? PropertyTimeout.PROPERTY : LIMIT_OVERRIDE;
    }

    /** How many properties a mutant's row runs (for progress). */
    public static int propertyCount(Mutant mutant) {
        return propertiesOf(mutant.kit()).size();
    }

    /** One property's cell and, for a kill, its failure message (kept only for the pinned-phrase check). */
    private record Run(Cell cell, String message) {
    }

    private static Run run(Mutant mutant, Method property, Settings settings) {
        String reproduce = reproduceCommand(settings.seed(), settings.tries());
        Object kit = mutant.kit() == Mutant.Kit.SOFTMAX
                ? new MutantKits.Softmax((AttentionBackend) mutant.backend().get(), reproduce)
                : new MutantKits.Linear((LinearAttentionBackend) mutant.backend().get(), reproduce);
        long t0 = System.nanoTime();
        Throwable thrown = null;
        // invoked by reflection, the kit's JUnit extension does not apply: the same daemon-thread limit, called here
        // (the limit is read outside the try: an invalid -Dattest.timeout is a usage error, not a kill)
        Duration limit = propertyLimit();
        try {
            PropertyTimeout.runWithin(limit, limitSetting(), mutant.id() + " " + property.getName(), () -> {
                try {
                    property.invoke(kit);
                } catch (InvocationTargetException target) {
                    throw target.getCause();
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + property.getName(), e);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot invoke " + property.getName(), e);
        } catch (Throwable t) {
            thrown = t;
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        if (thrown == null) return new Run(new Cell(Outcome.SURVIVED, null, null, null, millis), null);
        if (thrown instanceof TestAbortedException) {
            return new Run(new Cell(Outcome.NOT_APPLICABLE, null, null, null, millis), null);
        }
        if (thrown instanceof PropertyFailure f) {
            return new Run(new Cell(Outcome.KILLED, f.casesToFailure(), String.valueOf(f.shrunk()), sizeOf(f.shrunk()),
                    millis), f.getMessage());
        }
        return new Run(new Cell(Outcome.KILLED, null, null, null, millis),
                thrown instanceof AssertionError ? thrown.getMessage() : thrown.toString());
    }

    /**
     * B·Hq·Sq·Skv·D of a shrunk case with D = max(Dqk, Dv): for a layer, its core; for a KV-cache scenario
     * Sq = Skv = its longest sequence; for linear attention Sq = Skv = its length and D = max(dk, dv); null for a
     * case of another kind.
     */
    static Long sizeOf(Object shrunk) {
        return switch (shrunk) {
            case AttentionCase c -> (long) c.batch() * c.qHeads() * c.qLength() * c.kvLength()
                    * Math.max(c.qkHeadDim(), c.vHeadDim());
            case LayerCase l -> sizeOf(l.core());
            case CacheCase c -> (long) c.batch() * c.qHeads() * c.maxLength() * c.maxLength()
                    * Math.max(c.qkHeadDim(), c.vHeadDim());
            case LinearCase c -> (long) c.batch() * c.qHeads() * c.length() * c.length() * Math.max(c.kDim(), c.vDim());
            case null, default -> null;
        };
    }

    /**
     * A failure's repro line: the matrix itself, with its seed and tries (the mutants are not discoverable
     * backends, and `attest faults --tries` may differ from the build's).
     */
    public static String reproduceCommand(long seed, int tries) {
        return "./build test -pl faults -am -Dsurefire.failIfNoSpecifiedTests=false -Dtest=KillMatrixTest"
                + " -Dattest.seed=" + seed + " -Dattest.tries=" + tries;
    }
}
