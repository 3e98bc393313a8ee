package dev.attest.reports.model;

/**
 * A timing with its uncertainty: the median of the samples and a distribution-free confidence interval for it (order
 * statistics, so no assumption that timings are normal: on a shared machine they are not).
 *
 * @param median     the median sample, in the metric's unit
 * @param low        lower end of the interval
 * @param high       upper end of the interval
 * @param confidence the interval's exact coverage (at least 0.95 when there are 6 or more samples)
 * @param samples    how many samples it rests on
 * @param unreliable why the figure cannot be trusted (the interval is wider than the stated share of the median, the
 *                   warm-up never settled, too few samples); null when it can. An unreliable figure is shown, marked,
 *                   and kept out of fits, the Pareto frontier and {@code compare}'s regression gate
 */
public record Interval(double median, double low, double high, double confidence, int samples, String unreliable) {

    /** (high − low) / median: the interval's width as a share of the figure. */
    public double relativeWidth() {
        return median > 0 ? (high - low) / median : Double.POSITIVE_INFINITY;
    }

    public boolean reliable() {
        return unreliable == null;
    }

    /** The same figure marked unreliable for {@code reason} (kept when it already is, the first reason stands). */
    public Interval markedUnreliable(String reason) {
        return unreliable != null ? this : new Interval(median, low, high, confidence, samples, reason);
    }

    /** This interval divided by a positive constant (e.g. a per-call time from a per-batch one). */
    public Interval scaled(double factor) {
        return new Interval(median * factor, low * factor, high * factor, confidence, samples, unreliable);
    }
}
