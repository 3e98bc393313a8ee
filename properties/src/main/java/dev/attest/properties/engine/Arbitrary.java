package dev.attest.properties.engine;

import java.util.List;
import java.util.stream.Stream;

/**
 * A source of test values of one type, together with everything the runner needs to use them well: the edge cases
 * to try first, the simpler values to shrink a counterexample towards, and how to print and classify a value.
 *
 * <p>Only {@link #generate} is required. The defaults describe a value with no edge cases, no shrinking and no
 * labels, which is always correct but gives longer failure reports.
 *
 * @param <T> the type of the generated values
 */
public interface Arbitrary<T> {

    /**
     * Generates one value.
     *
     * @param random the case's random source; generation must draw all its randomness from it, so that the case
     *     seed alone reproduces the value
     * @param size how large a value to make, from 1 (smallest) to {@link PropertyRunner#MAX_SIZE}; grows over a run
     *     so that early cases are small and readable
     */
    T generate(CaseRandom random, int size);

    /**
     * Values that are run before any random case, in this order. They are the cases where bugs cluster (bounds,
     * zero, one, empty) and that random generation would reach only by luck.
     */
    default List<T> edgeCases() {
        return List.of();
    }

    /**
     * Candidates that are simpler than {@code value}, simplest first. The runner tries them in order and moves to
     * the first one that still fails, so putting the most aggressive simplification first makes shrinking fast.
     * Each candidate must be strictly simpler than {@code value}, or shrinking may not end before its step limit.
     */
    default Stream<T> shrink(T value) {
        return Stream.empty();
    }

    /** How a value appears in a failure report. */
    default String describe(T value) {
        return String.valueOf(value);
    }

    /**
     * Labels for the run's statistics (such as "causal" or "gqa"), so that a passing run shows what it covered.
     * A value may carry several labels or none.
     */
    default List<String> classify(T value) {
        return List.of();
    }
}
