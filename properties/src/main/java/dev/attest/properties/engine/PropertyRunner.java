package dev.attest.properties.engine;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.opentest4j.TestAbortedException;

/**
 * Runs a property: checks a {@link CaseCheck} against the edge cases and then the random cases of an
 * {@link Arbitrary}, shrinks the first counterexample, and reports it as a {@link PropertyFailure}.
 *
 * <p>The rules, and why:
 * <ul>
 *   <li><b>Edge cases first</b>, in the arbitrary's order: they are where bugs cluster, and they are cheap.</li>
 *   <li><b>Random case {@code i}</b> gets its own case seed, the {@code i}-th long of a {@link SplittableRandom}
 *       seeded with the run seed, and a size that grows linearly from 1 to {@link #MAX_SIZE} over the run. The same
 *       run seed therefore gives the same cases, and a case seed and size alone regenerate one case.</li>
 *   <li><b>A case fails</b> when the check throws anything but {@link CaseRejected} (the case is discarded and
 *       counted) or {@link TestAbortedException}. The latter means "not applicable" and propagates unchanged: the
 *       engine never turns "unsupported" into a pass or a failure.</li>
 *   <li><b>Shrinking is greedy</b>: try the candidates of {@link Arbitrary#shrink} in order, move to the first that
 *       still fails (with any failure: we report the simplest failing value, not the simplest value failing in the
 *       same way), and start again from it, until no candidate fails or
 *       {@link PropertySettings#maxShrinkSteps()} checks were spent. A candidate that is rejected or aborts is not a
 *       counterexample and is skipped.</li>
 *   <li><b>Footnotes</b> ({@link Cases#footnote}) that the check noted for the reported value are printed under
 *       it, so the report shows what the check derived from the value, not only the value.</li>
 *   <li><b>Shrinking never grows</b>: a candidate whose {@link Arbitrary#measure} exceeds the current value's, or
 *       that was already tried for this failure, is skipped unchecked. So the shrunk value is never larger than the
 *       original, and shrinking cannot cycle between equal-sized values.</li>
 *   <li><b>Too many rejections fail the run</b>, naming the most common reasons: a property that discards most of
 *       its cases checks much less than its case count suggests.</li>
 * </ul>
 */
public final class PropertyRunner {

    /** The size of the last random case of a run; sizes grow from 1 to this. */
    public static final int MAX_SIZE = 100;

    private static final int REASONS_SHOWN = 5;

    private PropertyRunner() {
    }

    /**
     * Runs the property with {@link PropertySettings#fromSystemProperties()} and prints its one-line summary, which
     * includes the run seed.
     *
     * @throws PropertyFailure on a counterexample
     * @throws TestAbortedException unchanged, when the check aborts
     */
    public static <T> PropertyReport check(PropertyDescription description, Arbitrary<T> arbitrary,
            CaseCheck<T> check) {
        PropertyReport report = check(description, arbitrary, check, PropertySettings.fromSystemProperties());
        report.printSummary();
        return report;
    }

    /**
     * Runs the property with the given settings and returns what it did, printing nothing.
     *
     * @throws PropertyFailure on a counterexample, after shrinking it
     * @throws AssertionError when too many cases were rejected
     * @throws TestAbortedException unchanged, when the check aborts
     * @throws IllegalArgumentException when the replay key names an edge case that does not exist
     */
    public static <T> PropertyReport check(PropertyDescription description, Arbitrary<T> arbitrary,
            CaseCheck<T> check, PropertySettings settings) {
        return new Run<>(description, arbitrary, check, settings).run();
    }

    /** The size of random case {@code index} (0-based) of a run of {@code tries} random cases. */
    static int sizeOf(int index, int tries) {
        return 1 + (int) ((long) index * (MAX_SIZE - 1) / Math.max(1, tries - 1));
    }

    /** What one check of one value did: exactly one of passed, rejected (with a reason) or failed. */
    private record Outcome(String rejectReason, Throwable failure, List<Map.Entry<String, String>> footnotes) {
        static final Outcome PASSED = new Outcome(null, null, List.of());

        boolean failed() {
            return failure != null;
        }
    }

    /** The state of one run. */
    private static final class Run<T> {
        private final PropertyDescription description;
        private final Arbitrary<T> arbitrary;
        private final CaseCheck<T> check;
        private final PropertySettings settings;
        private final List<T> edgeCases;

        private int cases;
        private int edgeCasesRun;
        private int rejected;
        private int planned;
        private final Map<String, Integer> rejectReasons = new HashMap<>();
        private final Map<String, Integer> labels = new HashMap<>();

        Run(PropertyDescription description, Arbitrary<T> arbitrary, CaseCheck<T> check, PropertySettings settings) {
            this.description = description;
            this.arbitrary = arbitrary;
            this.check = check;
            this.settings = settings;
            this.edgeCases = List.copyOf(arbitrary.edgeCases());
        }

        PropertyReport run() {
            if (settings.replay().isPresent()) {
                planned = 1;
                CaseKey key = settings.replay().get();
                runCase(key, "replayed case " + key, valueOf(key));
            } else {
                planned = edgeCases.size() + settings.tries();
                for (int k = 0; k < edgeCases.size(); k++) {
                    runCase(new CaseKey.Edge(k), "edge case " + k + " of " + edgeCases.size(), edgeCases.get(k));
                }
                SplittableRandom caseSeeds = new SplittableRandom(settings.runSeed());
                for (int i = 0; i < settings.tries(); i++) {
                    CaseKey.Random key = new CaseKey.Random(caseSeeds.nextLong(), sizeOf(i, settings.tries()));
                    runCase(key, "random case " + (i + 1) + " of " + settings.tries(), valueOf(key));
                }
            }
            Map<String, Integer> sortedLabels = labels.entrySet().stream()
                    .sorted(Map.Entry.<String, Integer>comparingByValue().reversed()
                            .thenComparing(Map.Entry.comparingByKey()))
                    .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a,
                            LinkedHashMap::new));
            return new PropertyReport(description.name(), settings.runSeed(), cases, edgeCasesRun, rejected,
                    sortedLabels);
        }

        private T valueOf(CaseKey key) {
            return switch (key) {
                case CaseKey.Edge(int index) -> {
                    if (index >= edgeCases.size()) {
                        throw new IllegalArgumentException("cannot replay " + key + ": property " + description.name()
                                + " has " + edgeCases.size() + " edge cases");
                    }
                    yield edgeCases.get(index);
                }
                case CaseKey.Random(long seed, int size) -> arbitrary.generate(new CaseRandom(seed), size);
            };
        }

        private void runCase(CaseKey key, String caseName, T value) {
            cases++;
            if (key instanceof CaseKey.Edge) {
                edgeCasesRun++;
            }
            Outcome outcome = attempt(value, false);
            if (outcome.failed()) {
                throw failure(key, caseName, value, outcome);
            }
            if (outcome.rejectReason() != null) {
                rejected++;
                rejectReasons.merge(outcome.rejectReason(), 1, Integer::sum);
                if (rejected > settings.maxRejectRatio() * planned) {
                    throw tooManyRejected();
                }
                return;
            }
            arbitrary.classify(value).stream().distinct().forEach(label -> labels.merge(label, 1, Integer::sum));
        }

        /** Checks one value; aborts propagate, except while shrinking, where they only disqualify a candidate. */
        private Outcome attempt(T value, boolean shrinking) {
            Footnotes outer = Footnotes.start();
            try {
                check.check(value);
                return Outcome.PASSED;
            } catch (CaseRejected e) {
                return new Outcome(String.valueOf(e.reason()), null, List.of());
            } catch (TestAbortedException e) {
                if (!shrinking) {
                    throw e;
                }
                return new Outcome("aborted: " + e.getMessage(), null, List.of());
            } catch (Throwable e) {
                return new Outcome(null, e, Footnotes.current());
            } finally {
                Footnotes.restore(outer);
            }
        }

        private PropertyFailure failure(CaseKey key, String caseName, T original, Outcome originalOutcome) {
            T current = original;
            Throwable currentFailure = originalOutcome.failure();
            List<Map.Entry<String, String>> currentFootnotes = originalOutcome.footnotes();
            int steps = 0;
            int checks = 0;
            boolean budgetSpent = false;
            Set<T> tried = new HashSet<>();
            tried.add(original);
            search:
            while (true) {
                long limit = arbitrary.measure(current);
                try (Stream<T> candidates = arbitrary.shrink(current)) {
                    Iterator<T> it = candidates.iterator();
                    while (it.hasNext()) {
                        if (checks >= settings.maxShrinkSteps()) {
                            budgetSpent = true;
                            break search;
                        }
                        T candidate = it.next();
                        if (arbitrary.measure(candidate) > limit || !tried.add(candidate)) {
                            continue;
                        }
                        checks++;
                        Outcome outcome = attempt(candidate, true);
                        if (outcome.failed()) {
                            current = candidate;
                            currentFailure = outcome.failure();
                            currentFootnotes = outcome.footnotes();
                            steps++;
                            continue search;
                        }
                    }
                }
                break;
            }

            Facts facts = header();
            facts.add("case", caseName);
            if (key instanceof CaseKey.Random(long seed, int size)) {
                facts.add("case seed", seed).add("size", size);
            }
            facts.add("original", arbitrary.describe(original))
                    .add("shrunk", arbitrary.describe(current));
            currentFootnotes.forEach(note -> facts.add(note.getKey(), note.getValue()));
            facts.add("shrink steps", steps + " (" + checks + " checks"
                    + (budgetSpent ? ", stopped at the limit of " + settings.maxShrinkSteps() : "") + ")")
                    .add("failure", messageOf(currentFailure))
                    .add("reproduce", description.reproduceCommand(key));
            return new PropertyFailure(facts.toString(), currentFailure, key, original, current, steps, cases);
        }

        private AssertionError tooManyRejected() {
            String reasons = rejectReasons.entrySet().stream()
                    .sorted(Map.Entry.<String, Integer>comparingByValue().reversed()
                            .thenComparing(Map.Entry.comparingByKey()))
                    .limit(REASONS_SHOWN)
                    .map(e -> e.getValue() + " × " + e.getKey())
                    .collect(Collectors.joining("\n"));
            Facts facts = header()
                    .add("rejected", rejected + " of " + cases + " cases run")
                    .add("limit", "more than " + settings.maxRejectRatio() + " × " + planned + " planned cases")
                    .add("reasons", reasons);
            return new AssertionError("too many rejected cases: generate valid values instead of rejecting them\n"
                    + facts);
        }

        private Facts header() {
            return Facts.of()
                    .add("property", description.name())
                    .add("clause", description.clause())
                    .add("subject", description.subject())
                    .add("seed", settings.replay().isPresent() ? "not used (replay)" : settings.runSeed());
        }

        /** An assertion's message is its facts; for anything else the exception's type is part of the story. */
        private static String messageOf(Throwable failure) {
            if (failure instanceof AssertionError && failure.getMessage() != null) {
                return failure.getMessage();
            }
            return failure.toString();
        }
    }
}
