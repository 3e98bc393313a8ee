package dev.attest.reports.golden;

import dev.attest.reference.Tensor;

import java.util.Locale;

/**
 * How a backend's output compares with a golden output, element by element over the logical (B, H, S, D) axes:
 * a finite expected value {@code e} is met by a finite {@code g} with {@code |g - e| <= atol + rtol * |e|}; an
 * expected NaN only by a NaN, an expected infinity only by the same infinity. Any other pair is an infinite error,
 * never skipped (Inf - Inf is NaN, and a NaN compared with anything is false).
 *
 * @param maxError      the largest |out - expected| (infinite for a mismatched non-finite value), at {@code maxAt}
 * @param worstRatio    the largest error / allowance, at {@code worstAt}: above 1 is a failure
 * @param outOfTolerance how many elements fail
 */
public record GoldenVerdict(double maxError, int maxAt, double worstRatio, int worstAt, long outOfTolerance,
                            long elements, float worstGot, float worstExpected) {

    public boolean pass() {
        return outOfTolerance == 0;
    }

    public static GoldenVerdict of(Tensor got, Tensor expected, double atol, double rtol) {
        int[] shape = expected.shape();
        double maxError = 0, worstRatio = 0;
        int maxAt = 0, worstAt = 0, flat = 0;
        long bad = 0;
        float worstGot = 0, worstExpected = 0;
        for (int b = 0; b < shape[0]; b++) {
            for (int h = 0; h < shape[1]; h++) {
                for (int s = 0; s < shape[2]; s++) {
                    for (int d = 0; d < shape[3]; d++, flat++) {
                        float g = got.data()[got.index(b, h, s, d)], e = expected.data()[expected.index(b, h, s, d)];
                        // a non-finite expected value has no tolerance around it: only the same value meets it
                        double error = error(g, e), allowed = Float.isFinite(e) ? atol + rtol * Math.abs((double) e) : 0;
                        double ratio = error == 0 ? 0 : allowed == 0 ? Double.POSITIVE_INFINITY : error / allowed;
                        if (error > allowed) bad++;
                        if (error > maxError) {
                            maxError = error;
                            maxAt = flat;
                        }
                        if (ratio > worstRatio) {
                            worstRatio = ratio;
                            worstAt = flat;
                            worstGot = g;
                            worstExpected = e;
                        }
                    }
                }
            }
        }
        return new GoldenVerdict(maxError, maxAt, worstRatio, worstAt, bad, flat, worstGot, worstExpected);
    }

    /** |g - e|, or +Inf when they differ in a way subtraction cannot measure (NaN, an infinity). */
    static double error(float g, float e) {
        if (Float.isNaN(e) || Float.isInfinite(e)) return Float.compare(g, e) == 0 ? 0 : Double.POSITIVE_INFINITY;
        if (!Float.isFinite(g)) return Double.POSITIVE_INFINITY;
        return Math.abs((double) g - e);
    }

    /** The verdict's line: the true maximum error and where, and the element nearest (or past) its tolerance. */
    public String describe(int[] shape) {
        String max = "max |out - expected| " + number(maxError) + " at " + index(shape, maxAt);
        if (pass()) {
            return max + String.format(Locale.ROOT, "; worst %.2f of its tolerance", worstRatio);
        }
        return max + String.format(Locale.ROOT, "; %d of %d elements out of tolerance, the worst at %s: out %s,"
                        + " expected %s (%s of its tolerance)", outOfTolerance, elements, index(shape, worstAt),
                worstGot, worstExpected, number(worstRatio));
    }

    private static String number(double x) {
        return Double.isInfinite(x) ? "inf" : String.format(Locale.ROOT, "%.3g", x);
    }

    static String index(int[] shape, int flat) {
        return dev.attest.properties.judge.Expectation.index(shape, flat);
    }
}
