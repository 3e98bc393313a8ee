package dev.attest.properties.judge;

import dev.attest.properties.engine.Facts;
import dev.attest.reference.Tensor;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Exact comparisons, for properties whose claim is "these elements do not change at all": a computation that
 * does not read an input cannot round differently because of it.
 */
public final class Bitwise {
    private Bitwise() {
    }

    /** Requires every element of {@code actual} to equal {@code expected} bit for bit (NaN payloads aside). */
    public static void requireIdentical(String what, Tensor expected, Tensor actual) {
        requireIdentical(what, expected, actual, i -> true);
    }

    /** Requires the elements selected by {@code mustMatch} (row-major flat index) to be bit-identical. */
    public static void requireIdentical(String what, Tensor expected, Tensor actual, IntPredicate mustMatch) {
        if (!Arrays.equals(expected.shape(), actual.shape())) {
            throw new AssertionError(Facts.of().add("failure", what + ": shapes differ")
                    .add("expected shape", Arrays.toString(expected.shape()))
                    .add("but was", Arrays.toString(actual.shape())).toString());
        }
        float[] a = expected.toArray(), b = actual.toArray();
        for (int i = 0; i < a.length; i++) {
            if (mustMatch.test(i) && Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) {
                throw new AssertionError(Facts.of().add("failure", what)
                        .add("element", Expectation.index(expected.shape(), i))
                        .add("expected", a[i]).add("but was", b[i]).toString());
            }
        }
    }
}
