package dev.attest.reports.model;

/**
 * Error of one backend on one configuration against the oracle, judged by the tolerance model
 * (allowance = max(floor, k · naive-baseline error) + half an ulp of the output type).
 *
 * @param types    the configuration's element types (as {@link ConfigInfo#types()}); absent in older reports: fp32
 * @param ulpError the largest error in ulps of the output type at the expected value (absent in older reports)
 */
public record AccuracyResult(String backend, String config, String types, double maxAbsError, double relativeRms,
                             Double ulpError, double baselineError, double allowance, double errorOverAllowance,
                             boolean withinAllowance) {
    public AccuracyResult {
        if (types == null) types = "fp32";
    }
}
