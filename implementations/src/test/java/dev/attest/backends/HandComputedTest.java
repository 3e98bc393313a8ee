package dev.attest.backends;

import dev.attest.backends.batched.CpuBatchedBackend;
import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.Layout;
import dev.attest.reference.Mask;
import dev.attest.reference.Rotary;
import dev.attest.reference.Tensor;
import dev.attest.spi.AttentionBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tiny problems whose answers are worked out by hand. */
class HandComputedTest {

    static List<AttentionBackend> backends() {
        return List.of(new CpuNaiveBackend(), new CpuBatchedBackend());
    }

    private static Tensor t4(int b, int h, int s, int d, float... values) {
        return Tensor.of(values, b, h, s, d);
    }

    private static float[] run(AttentionBackend backend, AttentionProblem problem) {
        Tensor out = problem.allocateOutput(Layout.BHSD).fill(Float.NaN);
        backend.attention(problem, out);
        return out.toArray();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void oneKeyGivesItsValue(AttentionBackend backend) {
        var spec = AttentionSpec.builder().heads(2, 1).lengths(3, 1).headDims(2, 3).softcap(0.5).build();
        var problem = new AttentionProblem(spec, t4(1, 2, 3, 2, 1, -2, 30, 4, 0, 0, -7, 8, 9, 1e3f, 3, 2),
                t4(1, 1, 1, 2, 5, -6), t4(1, 1, 1, 3, 0.25f, -1.5f, 7));
        float[] out = run(backend, problem);
        for (int row = 0; row < 6; row++) {
            assertArrayEquals(new float[]{0.25f, -1.5f, 7}, java.util.Arrays.copyOfRange(out, 3 * row, 3 * row + 3));
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void twoKeysWithKnownLogits(AttentionBackend backend) {
        // logits 0 and ln 3 -> weights 1/4 and 3/4 -> 0.25*4 + 0.75*8 = 7
        var spec = AttentionSpec.builder().lengths(1, 2).headDim(1).scale(1.0).build();
        var problem = new AttentionProblem(spec, t4(1, 1, 1, 1, 1), t4(1, 1, 2, 1, 0, (float) Math.log(3)),
                t4(1, 1, 2, 1, 4, 8));
        assertEquals(7f, run(backend, problem)[0], 1e-5f);

        // the same with an additive bias of ln 3 on key 0 instead: weights 1/2 and 1/2 -> 6
        var biased = problem.with(spec, new Mask.Bias(new float[]{(float) Math.log(3), 0}, new int[]{2}), null);
        assertEquals(6f, run(backend, biased)[0], 1e-5f);

        // default scale 1/sqrt(Dqk) with Dqk = 4: q.k = 2 ln 3 * 2 / 2 ... logits 0 and ln 3 again
        var spec4 = AttentionSpec.builder().lengths(1, 2).headDims(4, 1).build();
        float l = (float) Math.log(3);
        var problem4 = new AttentionProblem(spec4, t4(1, 1, 1, 4, 1, 1, 1, 1), t4(1, 1, 2, 4, 0, 0, 0, 0, l / 2, l / 2, l / 2, l / 2),
                t4(1, 1, 2, 1, 4, 8));
        assertEquals(7f, run(backend, problem4)[0], 1e-5f);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void softcapComesBeforeTheMask(AttentionBackend backend) {
        // logits 0 and 10 capped at c = 1: tanh(10) ~ 1, so weights ~ 1/(1+e) and e/(1+e)
        var spec = AttentionSpec.builder().lengths(1, 2).headDim(1).scale(1.0).softcap(1.0).build();
        var problem = new AttentionProblem(spec, t4(1, 1, 1, 1, 1), t4(1, 1, 2, 1, 0, 10), t4(1, 1, 2, 1, 0, 1));
        double w1 = Math.exp(Math.tanh(10)) / (1 + Math.exp(Math.tanh(10)));
        assertEquals(w1, run(backend, problem)[0], 1e-6);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void maskedNaNDoesNotLeakAndFullyMaskedRowIsZero(AttentionBackend backend) {
        // key 1 is NaN in K and V but hidden by causality for row 0; row 0 sees key 0 only
        var spec = AttentionSpec.builder().lengths(2, 2).headDim(1).causal(Alignment.TOP_LEFT).build();
        var problem = new AttentionProblem(spec, t4(1, 1, 2, 1, 1, 1), t4(1, 1, 2, 1, 1, Float.NaN),
                t4(1, 1, 2, 1, 5, Float.NaN));
        float[] out = run(backend, problem);
        assertEquals(5f, out[0]);
        assertTrue(Float.isNaN(out[1]), "an attended NaN propagates");

        // offset -1: row 0 sees no key at all -> zeros, row 1 sees key 0
        var shifted = problem.with(spec.toBuilder().causal(Alignment.offset(-1)).build(), null, null);
        out = run(backend, shifted);
        assertEquals(0f, out[0]);
        assertEquals(5f, out[1]);

        // a key length of 0 hides everything
        out = run(backend, problem.with(spec.toBuilder().noCausal().build(), null, new int[]{0}));
        assertArrayEquals(new float[]{0, 0}, out);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void layerWithIdentityWeightsAndRotary(AttentionBackend backend) {
        // one head, Dqk = Dv = dModel = 2, identity projections, one token: Y = V = X
        var core = AttentionSpec.builder().lengths(1, 1).headDim(2).build();
        var spec = new LayerSpec(core, 2, 0, 2, false, Rotary.of(2), 0);
        Tensor eye = Tensor.of(new float[]{1, 0, 0, 1}, 2, 2);
        var weights = new LayerWeights(eye, null, eye, null, eye, null, eye, null, null, null, null);
        var problem = new LayerProblem(spec, weights, Tensor.of(new float[]{3, -4}, 1, 1, 2), null, null, null, 5, 5);
        Tensor out = problem.allocateOutput().fill(Float.NaN);
        backend.layer(problem, out);
        assertArrayEquals(new float[]{3, -4}, out.toArray(), 1e-6f);
    }
}
