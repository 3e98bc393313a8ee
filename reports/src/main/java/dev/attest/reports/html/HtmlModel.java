package dev.attest.reports.html;

import java.util.List;

/**
 * What the jte template shows, all text already formatted (the template only lays it out). {@code faults} is null
 * when the report has no fault-detection section; {@code notMeasured} lists the workloads a backend does not declare;
 * {@code busyBanner} is null unless the machine was busy while the run measured.
 */
public record HtmlModel(String title, String summary, boolean conforms, String busyBanner, List<String[]> environment,
                        List<String> backends, List<MatrixRow> matrix, List<String[]> failures,
                        List<String[]> notMeasured,
                        List<String[]> accuracyRows, String accuracyLatencySvg, List<String> pareto,
                        SpeedSection speed, String reliabilityRule, String linearSvg,
                        List<String[]> linearRows, LengthSweepSection lengthSweep, String calibration,
                        FaultSection faults) {

    /** One property across the backends: each cell is a status label. */
    public record MatrixRow(String property, List<String> cells) {
    }
}
