package dev.attest.reports.model;

/** JMH settings of a latency run: the conditions every latency figure was taken under. */
public record BenchSettings(String jmhVersion, String mode, int forks, int warmupIterations, int warmupMillis,
                            int measurementIterations, int measurementMillis, int threads) {
}
