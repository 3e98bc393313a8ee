package dev.attest.reports.model;

/**
 * A workload configuration: the shape of one core attention call and the element types it runs in.
 *
 * @param kind  "accuracy" (measured for error and latency) or "scaling" (latency over a series of lengths)
 * @param flops floating-point operations of one call (2·B·Hq·Sq·Skv·(Dqk+Dv)), for throughput
 * @param types the element types of Q, K, V and the output as {@link dev.attest.spi.TensorTypes#toString()} writes
 *              them ("fp32", "bf16", "q=bf16 k=fp8_e4m3 v=fp8_e4m3 out=bf16"); absent in older reports: fp32
 */
public record ConfigInfo(String name, String kind, int batch, int qHeads, int kvHeads, int qLength, int kvLength,
                         int headDim, boolean causal, long flops, String types) {

    public ConfigInfo {
        if (types == null) types = "fp32";
    }

    public dev.attest.spi.TensorTypes tensorTypes() {
        return dev.attest.spi.TensorTypes.parse(types);
    }
}
