package dev.attest.reports.model;

import dev.attest.reports.timing.Sampler;

/**
 * JMH settings of a latency run: the conditions every latency figure was taken under.
 *
 * @param warmup the adaptive warm-up each JMH fork runs before JMH's own warm-up iterations (and the in-process
 *               timing of the KV-cache, linear-attention and length-sweep series): see {@link Sampler}; absent in
 *               older reports
 */
public record BenchSettings(String jmhVersion, String mode, int forks, int warmupIterations, int warmupMillis,
                            int measurementIterations, int measurementMillis, int threads, Sampler warmup) {
}
