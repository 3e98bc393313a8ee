package dev.attest.reports.timing;

import dev.attest.reports.model.Interval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The sequence length from which a challenger (linear attention) is faster than an incumbent (softmax): where the
 * log of their latency ratio changes sign, interpolated linearly in log n between the two measured lengths that
 * bracket it, through lengths where both figures are reliable. Its bounds are the same crossing for the extreme
 * ends of the two intervals (challenger low against incumbent high gives the earliest, the reverse the latest): no
 * independence is assumed. A crossing outside the measured lengths is said so, with where the two fitted power laws
 * meet when both series have a fit and the challenger's is the flatter ({@link LogLogFit}, reliable points only):
 * labelled an extrapolation, never the measured crossover. A challenger that turns slower again further on (a
 * quadratic form with a small constant) is said so too.
 *
 * @param length   the crossover: −∞ when the challenger is faster from the first common length, +∞ when it is
 *                 never faster within the common lengths, NaN when fewer than two lengths have reliable figures
 *                 for both
 * @param earliest the earliest crossover the intervals allow (same conventions)
 * @param latest   the latest crossover the intervals allow
 * @param text     the finding in one sentence
 */
public record Crossover(double length, double earliest, double latest, String text) {
    private static final int MEDIAN = 0, LOW = 1, HIGH = 2;

    /** The crossover of {@code challenger} against {@code incumbent}, both by length; unreliable points are skipped. */
    public static Crossover of(String challenger, SortedMap<Integer, Interval> challengerTimes, String incumbent,
                               SortedMap<Integer, Interval> incumbentTimes) {
        SortedMap<Integer, Interval[]> both = new TreeMap<>();
        challengerTimes.forEach((n, c) -> {
            Interval i = incumbentTimes.get(n);
            if (i != null && c.reliable() && i.reliable()) both.put(n, new Interval[]{c, i});
        });
        if (both.size() < 2) {
            return new Crossover(Double.NaN, Double.NaN, Double.NaN, String.format(Locale.ROOT, "%s against %s: no"
                    + " crossover measured (fewer than two lengths where both are reliable)", challenger, incumbent));
        }
        List<Integer> n = new ArrayList<>(both.keySet());
        double mid = faster(n, both, MEDIAN, MEDIAN), earliest = faster(n, both, LOW, HIGH),
                latest = faster(n, both, HIGH, LOW);
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%s against %s (n = %d to %d, reliable"
                + " figures of both): ", challenger, incumbent, n.getFirst(), n.getLast()));
        if (mid == Double.NEGATIVE_INFINITY) text.append("faster from the first length");
        else if (mid == Double.POSITIVE_INFINITY) text.append("slower at every length");
        else text.append(String.format(Locale.ROOT, "faster from n ≈ %.0f", mid));
        if (earliest != latest) {
            text.append(String.format(Locale.ROOT, " (the intervals allow %s to %s)", bound(earliest, n),
                    bound(latest, n)));
        }
        Integer slowerAgain = slowerAgain(n, both, mid);
        if (slowerAgain != null) text.append(", but slower again at n = ").append(slowerAgain);
        if (mid == Double.POSITIVE_INFINITY) {
            double meet = fitsMeet(challengerTimes, incumbentTimes);
            if (meet > n.getLast()) {
                text.append(String.format(Locale.ROOT, "; the fitted power laws meet at n ≈ %.0f (extrapolated, not"
                        + " measured)", meet));
            }
        }
        return new Crossover(mid, earliest, latest, text.toString());
    }

    /** Where the two series' fits through their reliable points meet, or NaN without two fits that converge. */
    static double fitsMeet(SortedMap<Integer, Interval> challenger, SortedMap<Integer, Interval> incumbent) {
        LogLogFit c = LogLogFit.of(reliablePoints(challenger)), i = LogLogFit.of(reliablePoints(incumbent));
        if (c == null || i == null || c.high() >= i.low()) return Double.NaN;   // slopes not told apart
        return Math.exp((c.logIntercept() - i.logIntercept()) / (i.exponent() - c.exponent()));
    }

    private static List<double[]> reliablePoints(SortedMap<Integer, Interval> series) {
        List<double[]> out = new ArrayList<>();
        series.forEach((n, t) -> {
            if (t.reliable()) out.add(new double[]{n, t.median()});
        });
        return out;
    }

    private static String bound(double n, List<Integer> lengths) {
        if (n == Double.NEGATIVE_INFINITY) return "before n=" + lengths.getFirst();
        if (n == Double.POSITIVE_INFINITY) return "after n=" + lengths.getLast();
        return String.format(Locale.ROOT, "n ≈ %.0f", n);
    }

    /**
     * The first length where challenger end {@code c} against incumbent end {@code i} is faster, by log-log
     * interpolation; −∞ when it is from the first length on, +∞ when not within the lengths.
     */
    private static double faster(List<Integer> n, SortedMap<Integer, Interval[]> both, int c, int i) {
        if (logRatio(both.get(n.getFirst()), c, i) <= 0) return Double.NEGATIVE_INFINITY;
        for (int k = 0; k + 1 < n.size(); k++) {
            double r0 = logRatio(both.get(n.get(k)), c, i), r1 = logRatio(both.get(n.get(k + 1)), c, i);
            if (r0 > 0 && r1 <= 0) {
                double x0 = Math.log(n.get(k)), x1 = Math.log(n.get(k + 1));
                return Math.exp(x0 + r0 / (r0 - r1) * (x1 - x0));
            }
        }
        return Double.POSITIVE_INFINITY;
    }

    /** The first length after the crossover where the challenger's median is slower again, or null. */
    private static Integer slowerAgain(List<Integer> n, SortedMap<Integer, Interval[]> both, double crossover) {
        if (crossover == Double.POSITIVE_INFINITY) return null;
        for (int length : n) {
            if (length > crossover && logRatio(both.get(length), MEDIAN, MEDIAN) > 0) return length;
        }
        return null;
    }

    /** log(challenger / incumbent) at the chosen ends of their intervals. */
    private static double logRatio(Interval[] pair, int c, int i) {
        return Math.log(end(pair[0], c) / end(pair[1], i));
    }

    private static double end(Interval x, int end) {
        return switch (end) {
            case LOW -> x.low();
            case HIGH -> x.high();
            default -> x.median();
        };
    }
}
