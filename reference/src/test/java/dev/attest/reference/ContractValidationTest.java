package dev.attest.reference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every inconsistent spec or tensor is refused at construction with a message naming what is wrong. */
class ContractValidationTest {

    private static void refused(Executable construction, String... phrases) {
        InvalidProblemException e = assertThrows(InvalidProblemException.class, construction);
        for (String phrase : phrases) {
            assertTrue(e.getMessage().contains(phrase), () -> "message '" + e.getMessage() + "' lacks '" + phrase + "'");
        }
    }

    private static AttentionSpec spec() {
        return AttentionSpec.builder().batch(2).heads(4, 2).lengths(3, 5).headDims(6, 7).build();
    }

    @Test
    void dimensions_must_be_positive() {
        refused(() -> AttentionSpec.builder().lengths(0, 3).build(), "query length Sq", "was 0");
        refused(() -> AttentionSpec.builder().headDim(-1).build(), "query/key head dim Dqk", "was -1");
        refused(() -> Tensor.zeros(2, 0, 3), "dimension 1", "was 0");
    }

    @Test
    void query_heads_must_be_a_multiple_of_kv_heads() {
        refused(() -> AttentionSpec.builder().heads(3, 2).build(), "Hq = 3", "Hkv = 2");
    }

    @Test
    void options_must_be_finite() {
        refused(() -> AttentionSpec.builder().scale(Double.NaN).build(), "scale", "NaN");
        refused(() -> AttentionSpec.builder().softcap(Double.POSITIVE_INFINITY).build(), "softcap", "Infinity");
        refused(() -> new Mask.Bias(new float[]{0, Float.NaN}, new int[]{1, 2}), "additive mask element 1", "NaN");
        refused(() -> new Mask.Bias(new float[]{Float.POSITIVE_INFINITY}, new int[]{1}), "Infinity");
    }

    @Test
    void causal_and_window_need_an_explicit_alignment() {
        refused(() -> new AttentionSpec(1, 1, 1, 2, 2, 1, 1, java.util.OptionalDouble.empty(), 0, true, null, null),
                "explicit alignment");
    }

    @Test
    void tensor_shapes_must_match_the_spec_naming_the_axis_and_both_values() {
        AttentionSpec s = spec();
        Tensor q = Tensor.zeros(2, 4, 3, 6), k = Tensor.zeros(2, 2, 5, 6), v = Tensor.zeros(2, 2, 5, 7);
        new AttentionProblem(s, q, k, v);
        refused(() -> new AttentionProblem(s, q, Tensor.zeros(2, 2, 4, 6), v), "K axis 2 (Skv) is 4", "Skv = 5");
        refused(() -> new AttentionProblem(s, q, k, Tensor.zeros(2, 2, 5, 6)), "V axis 3 (Dv) is 6", "Dv = 7");
        refused(() -> new AttentionProblem(s, Tensor.zeros(2, 3, 3, 6), k, v), "Q axis 1 (Hq) is 3", "Hq = 4");
        refused(() -> new AttentionProblem(s, Tensor.zeros(4, 3, 6), k, v), "Q must have 4 axes");
        refused(() -> new AttentionProblem(s, null, k, v), "Q tensor must not be null");
    }

    @Test
    void masks_must_broadcast_to_b_hq_sq_skv() {
        AttentionSpec s = spec();
        Tensor q = Tensor.zeros(2, 4, 3, 6), k = Tensor.zeros(2, 2, 5, 6), v = Tensor.zeros(2, 2, 5, 7);
        new AttentionProblem(s, q, k, v, new Mask.Keep(new boolean[3 * 5], new int[]{3, 5}), null);
        new AttentionProblem(s, q, k, v, new Mask.Keep(new boolean[2 * 5], new int[]{2, 1, 1, 5}), null);
        refused(() -> new AttentionProblem(s, q, k, v, new Mask.Keep(new boolean[3 * 4], new int[]{3, 4}), null),
                "axis Skv has 4, expected 1 or 5");
        refused(() -> new Mask.Keep(new boolean[32], new int[]{2, 2, 2, 2, 2}), "1 to 4 axes");
        refused(() -> new Mask.Keep(new boolean[5], new int[]{2, 3}), "holds 6 values but 5 were given");
        refused(() -> new AttentionProblem(s, q, k, v, null, new int[]{1, 6}), "key length of batch 1 is 6");
        refused(() -> new AttentionProblem(s, q, k, v, null, new int[]{1}), "1 entries but batch B = 2");
    }

    @Test
    void a_view_must_fit_its_array() {
        refused(() -> Tensor.view(new float[10], 0, new int[]{3, 4}, new int[]{4, 1}), "needs 12 elements",
                "has 10");
        refused(() -> Tensor.of(new float[5], 2, 3), "holds 6 elements but the array has 5");
    }

    @Test
    void bshd_is_a_view_of_the_same_array() {
        float[] data = new float[2 * 3 * 4 * 5];
        Tensor t = Layout.BSHD.wrap(data, 2, 4, 3, 5);
        assertEquals(Layout.BSHD, Layout.of(t));
        t.set(7f, 1, 2, 0, 3);
        // (b, s, h, d) = (1, 0, 2, 3) in the BSHD array
        assertEquals(7f, data[((1 * 3 + 0) * 4 + 2) * 5 + 3]);
        assertEquals(new int[]{2, 4, 3, 5}.length, t.rank());
    }

    @Test
    void layer_weights_are_checked_against_the_spec() {
        AttentionSpec core = AttentionSpec.builder().heads(2, 1).lengths(3, 3).headDim(2).build();
        LayerSpec spec = new LayerSpec(core, 4, 0, 4, false, null, 0);
        Tensor wq = Tensor.zeros(4, 4), wk = Tensor.zeros(4, 2), wv = Tensor.zeros(4, 2), wo = Tensor.zeros(4, 4);
        new LayerWeights(wq, null, wk, null, wv, null, wo, null, null, null, null).requireMatches(spec);
        refused(() -> new LayerWeights(wq, null, Tensor.zeros(4, 4), null, wv, null, wo, null, null, null, null)
                .requireMatches(spec), "weight Wk has 4 output columns but the spec needs 2");
        refused(() -> new LayerSpec(AttentionSpec.builder().lengths(2, 3).build(), 4, 0, 4, false, null, 0),
                "query length Sq", "key/value length Skv");
        refused(() -> new LayerSpec(core, 4, 0, 4, false, Rotary.of(4), 0), "rotary dims 4 exceed");
        Tensor badW = Tensor.zeros(4, 4);
        badW.set(Float.NaN, 1, 1);
        refused(() -> new LayerWeights(badW, null, wk, null, wv, null, wo, null, null, null, null)
                .requireMatches(spec), "Wq contains NaN");
    }

    @Test
    void alignment_offsets() {
        assertEquals(0, Alignment.TOP_LEFT.offsetFor(2, 5));
        assertEquals(3, Alignment.BOTTOM_RIGHT.offsetFor(2, 5));
        assertEquals(-3, Alignment.BOTTOM_RIGHT.offsetFor(5, 2));
        assertEquals(7, Alignment.offset(7).offsetFor(2, 5));
    }
}
