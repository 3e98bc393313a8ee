package dev.attest.reports.model;

import java.util.List;

/**
 * One timing metric (STYLE.md: label, unit, raw samples, error, role).
 *
 * @param score    JMH's aggregate: the mean of the samples
 * @param error    half-width of JMH's 99.9% confidence interval of the mean, or null when it cannot be computed
 * @param samples  one value per measurement iteration, every fork
 * @param role     "primary" or "secondary"
 * @param interval the figure the report shows and judges: the median of the samples with its distribution-free 95%
 *                 interval and reliability verdict (absent in reports written before it: then {@link #center()} is the
 *                 mean and nothing is known about its reliability)
 */
public record Metric(String label, String unit, double score, Double error, List<Double> samples, String role,
                     Interval interval) {

    public Metric(String label, String unit, double score, Double error, List<Double> samples, String role) {
        this(label, unit, score, error, samples, role, null);
    }

    /** The headline figure: the median when the interval is known, else JMH's mean. */
    public double center() {
        return interval != null ? interval.median() : score;
    }

    /** Whether the figure may be fitted, put on a frontier or gated on: known interval, not wider than the rule. */
    public boolean reliable() {
        return interval != null && interval.reliable();
    }
}
