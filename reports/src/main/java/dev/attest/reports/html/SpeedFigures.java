package dev.attest.reports.html;

import dev.attest.reports.model.ConfigInfo;
import dev.attest.reports.model.Interval;
import dev.attest.reports.model.Metric;
import dev.attest.reports.timing.Intervals;
import dev.attest.reports.timing.LogLogFit;

import java.util.Locale;

/** How the report writes a timing, its interval, its reliability, its rate and its ratio to a baseline. */
final class SpeedFigures {
    private SpeedFigures() {
    }

    /** The sentence every speed section carries: what the interval is and when a figure is unreliable. */
    static final String RULE = String.format(Locale.ROOT, "Each timing is the median of its samples with a"
            + " distribution-free %.0f%% confidence interval (order statistics; at least %d samples). A figure whose"
            + " interval spans more than %.0f%% of its median, or whose warm-up never settled, is marked unreliable:"
            + " it is shown, but left out of fits, the Pareto frontier and compare's regression gate. Fits need %d"
            + " reliable points.", Intervals.CONFIDENCE * 100, Intervals.MIN_SAMPLES,
            Intervals.MAX_RELATIVE_WIDTH * 100, LogLogFit.MIN_POINTS);

    /** The interval of a metric; a report written before intervals has none (then treated as unreliable). */
    static Interval of(Metric m) {
        return m.interval() != null ? m.interval()
                : new Interval(m.score(), m.score(), m.score(), 0, m.samples().size(), "no interval in this report");
    }

    /** "1.2345 ms [1.2000, 1.2700]". */
    static String ms(Interval i) {
        return i == null ? "-" : String.format(Locale.ROOT, "%s [%s, %s]", HtmlReport.ms(i.median()), num(i.low()),
                num(i.high()));
    }

    /** "±3.1%": half the interval's width as a share of the median. */
    static String spread(Interval i) {
        return String.format(Locale.ROOT, "±%.1f%%", i.relativeWidth() * 50);
    }

    /** "ok" or "unreliable: why". */
    static String verdict(Interval i) {
        return i == null ? "-" : i.reliable() ? "ok" : "unreliable: " + i.unreliable();
    }

    /** GFLOP/s by the field's convention (the config's flops: 4·B·H·Sq·Skv·D, halved for causal). */
    static double gflops(ConfigInfo c, double millis) {
        return c.flops() / (millis * 1e6);
    }

    /**
     * How many times faster than the baseline, with the interval that the two intervals allow (the extreme
     * quotients: conservative, no independence assumed).
     */
    static String speedup(Interval i, Interval baseline) {
        if (i == null || baseline == null) return "-";
        String figure = String.format(Locale.ROOT, "%.2f× [%.2f, %.2f]", baseline.median() / i.median(),
                baseline.low() / i.high(), baseline.high() / i.low());
        return i.reliable() && baseline.reliable() ? figure : figure + " (unreliable)";
    }

    /** "1.98 ± 0.04, R² 0.999 (4 of 5 points)", or why there is no fit. */
    static String fit(LogLogFit fit, int total) {
        if (fit == null) return String.format(Locale.ROOT, "not fitted: fewer than %d reliable points (of %d)",
                LogLogFit.MIN_POINTS, total);
        return String.format(Locale.ROOT, "%.2f ± %.2f, R² %.3f (%d of %d points)", fit.exponent(),
                (fit.high() - fit.low()) / 2, fit.rSquared(), fit.points(), total);
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
