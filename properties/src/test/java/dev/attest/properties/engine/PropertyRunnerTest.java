package dev.attest.properties.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

class PropertyRunnerTest {

    private static final PropertyDescription DESCRIPTION =
            PropertyDescription.of("required_test_1_sample", "DESIGN.md §Sample", "test-backend");

    private static PropertySettings seed(long seed) {
        return PropertySettings.withSeed(seed);
    }

    /** {@code integers(min, max)} without edge cases, so that only the random path runs. */
    private static Arbitrary<Integer> randomIntegers(int min, int max) {
        Arbitrary<Integer> ints = Arbitraries.integers(min, max);
        return new Arbitrary<>() {
            @Override
            public Integer generate(CaseRandom random, int size) {
                return ints.generate(random, size);
            }

            @Override
            public Stream<Integer> shrink(Integer value) {
                return ints.shrink(value);
            }
        };
    }

    private static <T> PropertyFailure expectFailure(Arbitrary<T> arbitrary, CaseCheck<T> check,
            PropertySettings settings) {
        return assertThrows(PropertyFailure.class, () -> PropertyRunner.check(DESCRIPTION, arbitrary, check, settings));
    }

    // --- Shrinking ---------------------------------------------------------------------------------------------------

    @Test
    void shrinksToTheExactBoundaryFromAnEdgeCase() {
        PropertyFailure failure = expectFailure(Arbitraries.integers(0, 10_000), x -> assertTrue(x < 100), seed(1));
        assertEquals(10_000, failure.original());
        assertEquals(100, failure.shrunk());
        assertEquals(new CaseKey.Edge(1), failure.caseKey());
    }

    @Test
    void shrinksToTheExactBoundaryFromRandomCasesWhateverTheSeed() {
        for (long s = 0; s < 20; s++) {
            PropertyFailure failure = expectFailure(randomIntegers(0, 10_000), x -> assertTrue(x < 100), seed(s));
            assertInstanceOf(CaseKey.Random.class, failure.caseKey());
            assertEquals(100, failure.shrunk(), "seed " + s);
        }
        PropertyFailure negative = expectFailure(randomIntegers(-10_000, 10_000), x -> assertTrue(x > -37), seed(3));
        assertEquals(-37, negative.shrunk());
    }

    record Pair(int a, int b) {
    }

    /** A two-field arbitrary built by hand, the way domain arbitraries are: shrink one field at a time. */
    private static final Arbitrary<Pair> PAIRS = new Arbitrary<>() {
        private final Arbitrary<Integer> ints = Arbitraries.integers(0, 1000);

        @Override
        public Pair generate(CaseRandom random, int size) {
            return new Pair(ints.generate(random, size), ints.generate(random, size));
        }

        @Override
        public Stream<Pair> shrink(Pair p) {
            return Stream.concat(ints.shrink(p.a()).map(a -> new Pair(a, p.b())),
                    ints.shrink(p.b()).map(b -> new Pair(p.a(), b)));
        }
    };

    @Test
    void shrinksEveryFieldOfARecord() {
        PropertyFailure failure = expectFailure(PAIRS, p -> assertTrue(p.a() < 10 || p.b() < 20), seed(5));
        assertEquals(new Pair(10, 20), failure.shrunk());
        assertTrue(failure.shrinkSteps() > 0);
    }

    @Test
    void anyFailureCountsWhileShrinkingAndRejectedOrAbortedCandidatesAreSkipped() {
        PropertyFailure failure = expectFailure(Arbitraries.integers(0, 10_000), x -> {
            Cases.assume(x < 100 || x >= 130, "not in the gap");
            if (x >= 130 && x < 150) {
                throw new TestAbortedException("unsupported here");
            }
            if (x >= 150) {
                throw new IllegalStateException("different failure");
            }
            assertTrue(x < 100);
        }, seed(2).withMaxRejectRatio(100));
        assertEquals(150, failure.shrunk());
        assertInstanceOf(IllegalStateException.class, failure.getCause());
    }

    /**
     * An arbitrary whose shrinker offers a larger value before every smaller one (as a finishing step that regrows
     * what shrinking removed does): the runner skips it, so the counterexample never grows past the original.
     */
    @Test
    void aShrinkCandidateLargerThanTheCurrentValueIsSkipped() {
        Arbitrary<Integer> regrowing = new Arbitrary<>() {
            @Override
            public Integer generate(CaseRandom random, int size) {
                return 40;
            }

            @Override
            public Stream<Integer> shrink(Integer value) {
                return value > 1 ? Stream.of(value * 2, value - 1) : Stream.of(value * 2);
            }

            @Override
            public long measure(Integer value) {
                return value;
            }
        };
        PropertyFailure failure = expectFailure(regrowing, x -> assertTrue(x < 10), seed(1).withTries(1));
        assertEquals(40, failure.original());
        assertEquals(10, failure.shrunk());
    }

    /** Candidates that lead back to a value already tried (a -> b -> a) end shrinking instead of going round. */
    @Test
    void shrinkingDoesNotRevisitAValue() {
        Arbitrary<Integer> cycling = new Arbitrary<>() {
            @Override
            public Integer generate(CaseRandom random, int size) {
                return 7;
            }

            @Override
            public Stream<Integer> shrink(Integer value) {
                return Stream.of(value == 7 ? 8 : 7);
            }
        };
        PropertyFailure failure = expectFailure(cycling, x -> assertTrue(x < 0), seed(1).withTries(1));
        assertEquals(1, failure.shrinkSteps(), failure.getMessage());
        assertTrue(failure.getMessage().contains("(1 checks)"), failure.getMessage());
    }

    /** What the check derived from a value (here, the value it really used) is reported under the shrunk value. */
    @Test
    void footnotesOfTheShrunkValueArePrintedUnderIt() {
        PropertyFailure failure = expectFailure(Arbitraries.integers(0, 10_000), x -> {
            Cases.footnote("used", x + 5);
            Cases.footnote("used", x + 5);
            assertTrue(x < 100);
        }, seed(1));
        assertEquals(100, failure.shrunk());
        String message = failure.getMessage();
        assertTrue(Pattern.compile("(?m)^shrunk +: 100\nused +: 105\nshrink steps").matcher(message).find(), message);
        assertEquals(1, message.split("\nused ", -1).length - 1, "a repeated footnote is printed once:\n" + message);
        assertTrue(!message.contains(": 10005"), "footnotes of other attempts do not leak:\n" + message);
    }

    @Test
    void shrinkingStopsAtTheStepLimit() {
        PropertyFailure limited = expectFailure(Arbitraries.integers(0, 10_000), x -> assertTrue(x < 100),
                seed(1).withMaxShrinkSteps(3));
        assertTrue(limited.getMessage().contains("(3 checks, stopped at the limit of 3)"), limited.getMessage());
        assertTrue((int) limited.shrunk() > 100);
        PropertyFailure none = expectFailure(Arbitraries.integers(0, 10_000), x -> assertTrue(x < 100),
                seed(1).withMaxShrinkSteps(0));
        assertEquals(none.original(), none.shrunk());
    }

    // --- Order and determinism ---------------------------------------------------------------------------------------

    /** Records every generated value with the size it was generated at. */
    private static final class Recording implements Arbitrary<String> {
        final List<Integer> sizes = new ArrayList<>();

        @Override
        public String generate(CaseRandom random, int size) {
            sizes.add(size);
            return "r" + random.nextLong();
        }

        @Override
        public List<String> edgeCases() {
            return List.of("e0", "e1", "e2");
        }
    }

    private static List<String> checkedValues(PropertySettings settings) {
        List<String> seen = new ArrayList<>();
        PropertyRunner.check(DESCRIPTION, new Recording(), seen::add, settings);
        return seen;
    }

    @Test
    void edgeCasesRunFirstInOrderThenRandomCasesWithGrowingSize() {
        Recording arbitrary = new Recording();
        List<String> seen = new ArrayList<>();
        PropertyReport report = PropertyRunner.check(DESCRIPTION, arbitrary, seen::add, seed(4).withTries(10));
        assertEquals(List.of("e0", "e1", "e2"), seen.subList(0, 3));
        assertEquals(13, seen.size());
        assertTrue(seen.subList(3, 13).stream().allMatch(v -> v.startsWith("r")), seen.toString());
        assertEquals(List.of(1, 12, 23, 34, 45, 56, 67, 78, 89, 100), arbitrary.sizes);
        assertEquals(13, report.cases());
        assertEquals(3, report.edgeCases());
    }

    @Test
    void sameSeedGivesSameCasesAndDifferentSeedsDiffer() {
        assertEquals(checkedValues(seed(7)), checkedValues(seed(7)));
        assertNotEquals(checkedValues(seed(7)).subList(3, 43), checkedValues(seed(8)).subList(3, 43));
    }

    @Test
    void replayingTheReportedKeyRunsExactlyThatCase() {
        Arbitrary<Integer> ints = randomIntegers(0, 1_000_000);
        CaseCheck<Integer> check = x -> assertTrue(x % 7 != 3, "x % 7 == 3");
        PropertyFailure failure = expectFailure(ints, check, seed(11).withMaxShrinkSteps(0));
        CaseKey key = failure.caseKey();

        // The key travels as text through -Dattest.replay; the run seed must not matter.
        PropertySettings replay = PropertySettings.fromProperties(
                Map.of("attest.replay", key.toString(), "attest.seed", "999", "attest.shrinkSteps", "0")::get);
        List<Integer> seen = new ArrayList<>();
        PropertyFailure replayed = expectFailure(ints, x -> {
            seen.add(x);
            check.check(x);
        }, replay);
        assertEquals(List.of(failure.original()), seen);
        assertEquals(key, replayed.caseKey());
        assertTrue(failure.getMessage().contains("-Dattest.replay=" + key), failure.getMessage());
    }

    @Test
    void edgeCasesReplayByIndex() {
        PropertyFailure failure = expectFailure(Arbitraries.integers(-5, 5), x -> assertTrue(x != 0), seed(1));
        assertEquals(new CaseKey.Edge(2), failure.caseKey());
        assertTrue(failure.getMessage().contains("-Dattest.replay=edge:2"), failure.getMessage());

        List<Integer> seen = new ArrayList<>();
        PropertyReport report = PropertyRunner.check(DESCRIPTION, Arbitraries.integers(-5, 5), seen::add,
                seed(1).withReplay(new CaseKey.Edge(1)));
        assertEquals(List.of(5), seen);
        assertEquals(1, report.cases());
        assertThrows(IllegalArgumentException.class, () -> PropertyRunner.check(DESCRIPTION,
                Arbitraries.integers(-5, 5), seen::add, seed(1).withReplay(new CaseKey.Edge(4))));
    }

    // --- Rejection and abort -----------------------------------------------------------------------------------------

    @Test
    void rejectedCasesAreCountedAndNotClassified() {
        List<Integer> oneMod5 = new ArrayList<>();
        Arbitrary<Integer> labelled = new Arbitrary<>() {
            @Override
            public Integer generate(CaseRandom random, int size) {
                return random.nextInt(0, 100);
            }

            @Override
            public List<String> classify(Integer value) {
                return List.of("checked");
            }
        };
        PropertyReport report = PropertyRunner.check(DESCRIPTION, labelled, x -> {
            if (x % 5 == 1) {
                oneMod5.add(x);
            }
            Cases.assume(x % 5 != 1, "not 1 mod 5");
        }, seed(3));
        assertTrue(!oneMod5.isEmpty() && oneMod5.size() <= 20, "this seed should reject a few: " + oneMod5);
        assertEquals(oneMod5.size(), report.rejected());
        assertEquals(40 - oneMod5.size(), report.checked());
        assertEquals(Map.of("checked", 40 - oneMod5.size()), report.labels());
    }

    @Test
    void tooManyRejectionsFailWithTheMostCommonReasons() {
        AssertionError error = assertThrows(AssertionError.class, () -> PropertyRunner.check(DESCRIPTION,
                Arbitraries.integers(0, 1000), x -> {
                    Cases.assume(x % 3 == 0, "multiple of three");
                    Cases.assume(x < 0, "negative");
                }, seed(6)));
        assertTrue(!(error instanceof PropertyFailure));
        String message = error.getMessage();
        assertTrue(message.startsWith("too many rejected cases"), message);
        assertTrue(message.contains("multiple of three") && message.contains("negative"), message);
        assertTrue(Pattern.compile("(?m)^property +: required_test_1_sample$").matcher(message).find(), message);
    }

    @Test
    void abortsPropagateUnchanged() {
        TestAbortedException abort = new TestAbortedException("backend does not support GQA");
        TestAbortedException thrown = assertThrows(TestAbortedException.class,
                () -> PropertyRunner.check(DESCRIPTION, Arbitraries.integers(0, 10), x -> {
                    throw abort;
                }, seed(1)));
        assertSame(abort, thrown);

        List<Integer> seen = new ArrayList<>();
        TestAbortedException later = assertThrows(TestAbortedException.class,
                () -> PropertyRunner.check(DESCRIPTION, randomIntegers(0, 1000), x -> {
                    seen.add(x);
                    if (seen.size() == 5) {
                        throw abort;
                    }
                }, seed(1)));
        assertSame(abort, later);
        assertEquals(5, seen.size(), "the run stops at the abort");
    }

    // --- Reports -----------------------------------------------------------------------------------------------------

    @Test
    void failureMessageIsAFactBlockAndKeepsTheCause() {
        PropertyDescription description = DESCRIPTION.withReproduce(key -> "rerun --case " + key);
        PropertyFailure failure = assertThrows(PropertyFailure.class, () -> PropertyRunner.check(description,
                randomIntegers(0, 10_000), x -> {
                    if (x >= 100) {
                        throw new AssertionError("expected : below 100\nbut was  : " + x);
                    }
                }, seed(12)));
        String message = failure.getMessage();
        CaseKey.Random key = assertInstanceOf(CaseKey.Random.class, failure.caseKey());
        String[] expectedLines = {
            "property     : required_test_1_sample",
            "clause       : DESIGN.md §Sample",
            "subject      : test-backend",
            "seed         : 12",
            "case seed    : " + key.seed(),
            "size         : " + key.size(),
            "original     : " + failure.original(),
            "shrunk       : 100",
            "failure      : expected : below 100",
            "               but was  : 100",
            "reproduce    : rerun --case " + key,
        };
        List<String> lines = message.lines().toList();
        for (String line : expectedLines) {
            assertTrue(lines.contains(line), "missing line '" + line + "' in:\n" + message);
        }
        assertTrue(Pattern.compile("(?m)^case +: random case \\d+ of 40$").matcher(message).find(), message);
        assertTrue(Pattern.compile("(?m)^shrink steps : \\d+ \\(\\d+ checks\\)$").matcher(message).find(), message);
        assertEquals("expected : below 100\nbut was  : 100", failure.getCause().getMessage());
    }

    @Test
    void failuresThatAreNotAssertionsShowTheirType() {
        PropertyFailure failure = expectFailure(Arbitraries.integers(0, 10), x -> {
            throw new IllegalStateException("boom");
        }, seed(1));
        assertTrue(failure.getMessage().contains("failure      : java.lang.IllegalStateException: boom"),
                failure.getMessage());
        assertTrue(failure.getMessage().contains("case         : edge case 0 of 3"), failure.getMessage());
        assertInstanceOf(IllegalStateException.class, failure.getCause());
    }

    @Test
    void passingRunReportsCountsAndLabelStatistics() {
        Arbitrary<Integer> ints = Arbitraries.integers(0, 99);
        List<Integer> edges = ints.edgeCases();
        Arbitrary<Integer> labelled = new Arbitrary<>() {
            @Override
            public Integer generate(CaseRandom random, int size) {
                return ints.generate(random, size);
            }

            @Override
            public List<Integer> edgeCases() {
                return edges;
            }

            @Override
            public List<String> classify(Integer value) {
                return value < 50 ? List.of("all", "small", "small") : List.of("all");
            }
        };
        List<Integer> seen = new ArrayList<>();
        PropertyReport report = PropertyRunner.check(DESCRIPTION, labelled, seen::add, seed(5));
        int small = (int) seen.stream().filter(x -> x < 50).count();

        assertEquals(List.of(0, 99, 1), edges);
        assertEquals(43, report.cases());
        assertEquals(3, report.edgeCases());
        assertEquals(0, report.rejected());
        assertEquals(Map.of("all", 43, "small", small), report.labels());
        assertEquals(List.of("all", "small"), List.copyOf(report.labels().keySet()), "most common first");
        assertEquals(100.0, report.percent("all"));
        assertEquals(100.0 * small / 43, report.percent("small"), 1e-9);
        assertEquals(0.0, report.percent("absent"));
        assertEquals("property required_test_1_sample: 43 cases (3 edge), 0 rejected, seed 5; labels: all 100%, small "
                + Math.round(100.0 * small / 43) + "%", report.summary());
    }
}
