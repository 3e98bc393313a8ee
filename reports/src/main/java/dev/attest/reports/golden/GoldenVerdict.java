package dev.attest.reports.golden;

import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;

import java.util.Locale;

/**
 * How a backend's output compares with a golden output, element by element over the logical (B, H, S, D) axes, in
 * the output's own type: both are decoded exactly from their stored bits (every fp32, fp16 and bf16 value is a
 * float), a finite expected value {@code e} is met by a finite {@code g} with {@code |g - e| <= atol + rtol * |e|};
 * an expected NaN only by a NaN, an expected infinity only by the same infinity. Any other pair is an infinite
 * error, never skipped (Inf - Inf is NaN, and a NaN compared with anything is false).
 *
 * @param maxError       the largest |out - expected| (infinite for a mismatched non-finite value), at {@code maxAt}
 * @param maxUlps        the largest error in ulps of the output type at the expected value
 * @param worstRatio     the largest error / allowance, at {@code worstAt}: above 1 is a failure
 * @param outOfTolerance how many elements fail
 */
public record GoldenVerdict(ElementType type, double maxError, int maxAt, double maxUlps, double worstRatio,
                            int worstAt, long outOfTolerance, long elements, float worstGot, float worstExpected) {

    public boolean pass() {
        return outOfTolerance == 0;
    }

    public static GoldenVerdict of(Tensor got, Tensor expected, double atol, double rtol) {
        ElementType type = expected.type();
        double[] g = got.toDoubleArray(), e = expected.toDoubleArray();    // logical order, exact
        double maxError = 0, maxUlps = 0, worstRatio = 0;
        int maxAt = 0, worstAt = 0;
        long bad = 0;
        for (int i = 0; i < e.length; i++) {
            // a non-finite expected value has no tolerance around it: only the same value meets it
            double error = error(g[i], e[i]), allowed = Double.isFinite(e[i]) ? atol + rtol * Math.abs(e[i]) : 0;
            double ratio = error == 0 ? 0 : allowed == 0 ? Double.POSITIVE_INFINITY : error / allowed;
            if (error > allowed) bad++;
            if (error > maxError) {
                maxError = error;
                maxAt = i;
            }
            if (error > 0) maxUlps = Math.max(maxUlps, Double.isFinite(error) ? error / type.ulp(e[i]) : error);
            if (ratio > worstRatio) {
                worstRatio = ratio;
                worstAt = i;
            }
        }
        return new GoldenVerdict(type, maxError, maxAt, maxUlps, worstRatio, worstAt, bad, e.length,
                (float) g[worstAt], (float) e[worstAt]);
    }

    /** |g - e|, or +Inf when they differ in a way subtraction cannot measure (NaN, an infinity). */
    static double error(double g, double e) {
        if (Double.isNaN(e) || Double.isInfinite(e)) return Double.compare(g, e) == 0 ? 0 : Double.POSITIVE_INFINITY;
        if (!Double.isFinite(g)) return Double.POSITIVE_INFINITY;
        return Math.abs(g - e);
    }

    /**
     * The verdict's line: the true maximum error and where, the largest error in ulps of the output type, and the
     * element nearest (or past) its tolerance.
     */
    public String describe(int[] shape) {
        String max = "max |out - expected| " + number(maxError) + " at " + index(shape, maxAt) + ", "
                + ulps(maxUlps) + " ulp of " + type;
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

    /** Small ulp counts as they are (0, 0.5, 2), large ones in three digits. */
    private static String ulps(double x) {
        if (Double.isInfinite(x)) return "inf";
        String text = String.format(Locale.ROOT, "%.3g", x);
        return x < 1000 && text.contains(".") ? text.replaceFirst("0+$", "").replaceFirst("\\.$", "") : text;
    }

    static String index(int[] shape, int flat) {
        return dev.attest.properties.judge.Expectation.index(shape, flat);
    }
}
