package dev.attest.onnxruntime;

import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.Chunk;
import dev.attest.reference.cache.Eviction;
import dev.attest.reference.cache.Past;
import dev.attest.spi.KvCache;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What the kit found in ONNX Runtime 1.29's {@code Attention} with past K/V, pinned at the operator: with
 * {@code is_causal} and fewer queries than new keys, its causal frontier is the last key (bottom-right:
 * {@code j <= t + total - q_len}), not the past length that ONNX's reference and the errata of onnx#8068 say
 * ({@code j <= t + past_len}). Query 0 of a step that brings two keys to a past of five sees key 6 as well.
 * When this test fails, ONNX Runtime has changed: update the expected failure it pins.
 */
class OnnxPastFindingsTest {

    @Test
    void aCausalStepWithMoreNewKeysThanQueriesSeesTheKeysPastItsPosition() {
        OnnxRuntimeBackend backend = new OnnxRuntimeBackend(1);
        AttentionSpec spec = AttentionSpec.builder().headDim(1).causal(Alignment.TOP_LEFT).build();
        KvCache cache = backend.openCache(CacheSpec.core(spec, 8, Eviction.NONE),
                Past.of(Tensor.zeros(1, 1, 5, 1), Tensor.zeros(1, 1, 5, 1)));
        // q = 0: every visible key has the same logit, so the output is the mean of the visible values;
        // key 5 (the query's own position) has value 0, key 6 (one past it) has value 7
        Tensor q = Tensor.zeros(1, 1, 1, 1), k = Tensor.zeros(1, 1, 2, 1), v = Tensor.of(new float[]{0, 7}, 1, 1, 2, 1);
        Tensor out = Tensor.zeros(1, 1, 1, 1);
        cache.append(Chunk.core(q, k, v), out);
        // ONNX: keys 0..5 visible, mean 0. ONNX Runtime 1.29: keys 0..6, mean 7/7 = 1
        assertEquals(1f, out.get(0, 0, 0, 0), 1e-6f, "ONNX's frontier (the past length) would give 0");
    }
}
