package dev.attest.onnxruntime;

import dev.attest.properties.contract.AttentionContract;
import dev.attest.spi.AttentionBackend;


/**
 * ONNX Runtime's Attention operator through the whole conformance kit, on one intra-op thread, in the two element
 * types it declares (fp32 and fp16: each case draws one). The layer properties (S6) report unsupported: the layer
 * is not an ONNX operator. Its known failures, most of them in fp16 only, ship beside the backend in
 * {@code META-INF/attest/expected-failures/onnxruntime.properties}; each property still has to pass in fp32.
 */
class OnnxRuntimeConformanceTest extends AttentionContract {
    private static final OnnxRuntimeBackend BACKEND = new OnnxRuntimeBackend(1);

    @Override
    protected AttentionBackend backend() {
        return BACKEND;
    }
}
