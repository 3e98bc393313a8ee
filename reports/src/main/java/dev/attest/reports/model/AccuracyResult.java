package dev.attest.reports.model;

/**
 * Error of one backend on one configuration against the oracle, judged by the tolerance model
 * (allowance = max(floor, k · naive-baseline error)).
 */
public record AccuracyResult(String backend, String config, double maxAbsError, double relativeRms,
                             double baselineError, double allowance, double errorOverAllowance, boolean withinAllowance) {
}
