package dev.attest.reports.model;

/**
 * What a report's speed figures are read against: the machine's FMA roofline measured in the same run, and the
 * backend every other backend's speed is given as a ratio to.
 *
 * @param roofline the fp32 FMA peak of this run (null when nothing was timed)
 * @param baseline the named baseline backend ({@code --baseline}; by default onnxruntime when it was measured, else
 *                 cpu-naive)
 */
public record Performance(Roofline roofline, String baseline) {
}
