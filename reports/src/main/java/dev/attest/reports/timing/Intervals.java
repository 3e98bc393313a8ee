package dev.attest.reports.timing;

import dev.attest.reports.model.Interval;
import org.apache.commons.math3.distribution.BinomialDistribution;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The one rule by which every timing in a report gets its uncertainty and its reliability verdict.
 *
 * <p>The figure is the median of the samples, which a burst of load on a shared machine moves far less than a mean.
 * Its interval is the distribution-free one from order statistics: with n samples, [x(k), x(n+1−k)] covers the true
 * median with probability 1 − 2·P(Bin(n, ½) ≤ k−1); k is the largest rank that keeps that at least 95%. It needs
 * n ≥ 6 (with 5 samples even [min, max] covers only 93.75%). A figure whose interval is wider than
 * {@link #MAX_RELATIVE_WIDTH} of its median is unreliable.
 */
public final class Intervals {
    /** The widest interval, as a share of the median, of a figure the report draws conclusions from. */
    public static final double MAX_RELATIVE_WIDTH = 0.20;
    public static final double CONFIDENCE = 0.95;
    /** Fewest samples for which a 95% interval of the median exists. */
    public static final int MIN_SAMPLES = 6;

    private Intervals() {
    }

    public static Interval of(List<Double> samples) {
        return of(samples.stream().mapToDouble(Double::doubleValue).toArray());
    }

    public static Interval of(double[] samples) {
        double[] x = samples.clone();
        Arrays.sort(x);
        int n = x.length;
        if (n == 0) return new Interval(Double.NaN, Double.NaN, Double.NaN, 0, 0, "no samples");
        double median = n % 2 == 1 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
        if (n < MIN_SAMPLES) {
            double coverage = 1 - 2 * Math.pow(0.5, n);
            return new Interval(median, x[0], x[n - 1], coverage, n, String.format(Locale.ROOT,
                    "%d samples: too few for a %.0f%% interval (needs %d)", n, CONFIDENCE * 100, MIN_SAMPLES));
        }
        BinomialDistribution half = new BinomialDistribution(null, n, 0.5);
        int k = 1;
        while (k + 1 <= n / 2 && 1 - 2 * half.cumulativeProbability(k) >= CONFIDENCE) k++;
        double coverage = 1 - 2 * half.cumulativeProbability(k - 1);
        Interval interval = new Interval(median, x[k - 1], x[n - k], coverage, n, null);
        return judged(interval);
    }

    /** {@code interval} marked unreliable when it is wider than {@link #MAX_RELATIVE_WIDTH} of its median. */
    public static Interval judged(Interval interval) {
        double width = interval.relativeWidth();
        if (width <= MAX_RELATIVE_WIDTH) return interval;
        return interval.markedUnreliable(String.format(Locale.ROOT,
                "the %.0f%% interval spans %.0f%% of the median (more than %.0f%%)", CONFIDENCE * 100,
                width * 100, MAX_RELATIVE_WIDTH * 100));
    }
}
