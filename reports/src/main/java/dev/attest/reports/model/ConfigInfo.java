package dev.attest.reports.model;

/**
 * A workload configuration: the shape of one core attention call.
 *
 * @param kind  "accuracy" (measured for error and latency) or "scaling" (latency over a series of lengths)
 * @param flops floating-point operations of one call (2·B·Hq·Sq·Skv·(Dqk+Dv)), for throughput
 */
public record ConfigInfo(String name, String kind, int batch, int qHeads, int kvHeads, int qLength, int kvLength,
                         int headDim, boolean causal, long flops) {
}
