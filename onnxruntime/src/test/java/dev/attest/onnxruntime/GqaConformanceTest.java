package dev.attest.onnxruntime;

import dev.attest.properties.contract.AttentionContract;
import dev.attest.spi.AttentionBackend;

/**
 * ONNX Runtime's {@code com.microsoft.GroupQueryAttention} (CPU) through the whole conformance kit, on one intra-op
 * thread, in fp32 and fp16 (each case draws one). What it declares, and how each problem becomes operator calls,
 * {@link GroupQueryAttentionBackend} says; the rest reports unsupported. Its known failures ship beside the backend in
 * {@code META-INF/attest/expected-failures/onnxruntime-gqa.properties}.
 */
class GqaConformanceTest extends AttentionContract {
    private static final GroupQueryAttentionBackend BACKEND = new GroupQueryAttentionBackend(1);

    @Override
    protected AttentionBackend backend() {
        return BACKEND;
    }
}
