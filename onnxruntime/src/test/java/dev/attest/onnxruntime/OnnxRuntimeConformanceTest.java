package dev.attest.onnxruntime;

import dev.attest.properties.contract.AttentionContract;
import dev.attest.spi.AttentionBackend;

import java.util.Map;

/**
 * ONNX Runtime's Attention operator through the whole conformance kit, on one intra-op thread. The layer
 * properties (S6) report unsupported: the layer is not an ONNX operator.
 */
class OnnxRuntimeConformanceTest extends AttentionContract {
    private static final OnnxRuntimeBackend BACKEND = new OnnxRuntimeBackend(1);

    @Override
    protected AttentionBackend backend() {
        return BACKEND;
    }

    @Override
    protected Map<String, String> expectedFailures() {
        // sorted; each found by this suite against com.microsoft.onnxruntime:onnxruntime 1.29.0 (seed 20261123)
        return Map.of(
                "required_S1_permuting_query_tokens_permutes_output_rows",
                "onnxruntime 1.29.0: a query row's output depends on its position in the batch of rows by 1-2 ulp "
                        + "(shrunk B=1 Hq=1 Hkv=1 Sq=3 Skv=3 D=1: row 2 0.002475684 vs 0.002475679), DESIGN.md S1",
                "required_S5_nan_in_masked_keys_and_values_does_not_leak",
                "onnxruntime 1.29.0: NaN in a key/value hidden by attn_mask reaches the output (the mask is added to "
                        + "the score and masked weights multiply V, instead of masked keys being excluded); shrunk "
                        + "B=1 Hq=1 Hkv=1 Sq=1 Skv=2 D=1 keyPadding values=ZEROS gives NaN for 0.0, DESIGN.md S5");
    }
}
