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
     * Each candidate should be strictly simpler than {@code value}; the runner skips any candidate whose
     * {@link #measure} is larger than {@code value}'s, or that it has already tried for this failure, so a careless
     * candidate (say, one a property's finishing step grew back) can neither enlarge the counterexample nor make
     * shrinking go round in circles.
     */
    default Stream<T> shrink(T value) {
        return Stream.empty();
    }

    /**
     * How large a value is, as a non-negative number (for attention cases, the elements of work B·Hq·Sq·Skv·D). The
     * runner never moves to a shrink candidate with a larger measure than the value it shrinks, so the reported
     * counterexample is never larger than the one first found. Simplifications that keep the measure (an option
     * turned off, simpler values) stay allowed. The default measures every value as 0: no size guard, only the
     * no-revisit rule.
     */
    default long measure(T value) {
        return 0;
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
