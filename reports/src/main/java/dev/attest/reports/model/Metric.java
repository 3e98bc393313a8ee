package dev.attest.reports.model;

import java.util.List;

/**
 * One JMH metric (STYLE.md: label, unit, raw samples, error, role).
 *
 * @param score   the aggregate (mean of the samples)
 * @param error   half-width of the 99.9% confidence interval (JMH's), or null when it cannot be computed
 * @param samples one value per measurement iteration, every fork
 * @param role    "primary" or "secondary"
 */
public record Metric(String label, String unit, double score, Double error, List<Double> samples, String role) {
}
