package dev.attest.backends;

import dev.attest.backends.batched.CpuBatchedBackend;
import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.Layout;
import dev.attest.reference.Rotary;
import dev.attest.reference.Tensor;
import dev.attest.reference.Window;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.attest.backends.Problems.assertClose;
import static dev.attest.reference.Layout.BHSD;
import static dev.attest.reference.Layout.BSHD;

/** cpu-naive and cpu-batched agree within 1e-5 relative on random problems covering every feature. */
class AgreementTest {
    private static final CpuNaiveBackend NAIVE = new CpuNaiveBackend();
    private static final CpuBatchedBackend BATCHED = new CpuBatchedBackend();

    private static AttentionSpec.Builder spec(int b, int hq, int hkv, int sq, int skv, int dqk, int dv) {
        return AttentionSpec.builder().batch(b).heads(hq, hkv).lengths(sq, skv).headDims(dqk, dv);
    }

    static List<Arguments> attentionCases() {
        Random rnd = new Random(20260501);
        List<Arguments> cases = new ArrayList<>();
        record C(String name, AttentionProblem problem, Layout out) {
        }
        List<C> list = new ArrayList<>();
        list.add(new C("plain MHA", Problems.attention(rnd, spec(2, 3, 3, 5, 7, 8, 8).build(), BHSD, BHSD, BHSD, null, null), BHSD));
        list.add(new C("GQA 4/2 Dqk!=Dv", Problems.attention(rnd, spec(1, 4, 2, 6, 9, 8, 5).build(), BHSD, BHSD, BHSD, null, null), BHSD));
        list.add(new C("MQA 6/1 scale", Problems.attention(rnd, spec(2, 6, 1, 4, 4, 4, 4).scale(0.7).build(), BHSD, BHSD, BHSD, null, null), BHSD));
        list.add(new C("softcap", Problems.attention(rnd, spec(1, 2, 2, 5, 5, 16, 16).scale(2.0).softcap(3.0).build(), BHSD, BHSD, BHSD, null, null), BHSD));
        list.add(new C("causal top-left", Problems.attention(rnd, spec(2, 2, 1, 6, 6, 4, 4).causal(Alignment.TOP_LEFT).build(), BHSD, BHSD, BHSD, null, null), BHSD));
        list.add(new C("causal bottom-right Sq<Skv", Problems.attention(rnd, spec(1, 2, 2, 3, 8, 4, 6).causal(Alignment.BOTTOM_RIGHT).build(), BHSD, BHSD, BHSD, null, null), BHSD));
        list.add(new C("causal bottom-right Sq>Skv", Problems.attention(rnd, spec(1, 2, 2, 8, 3, 4, 4).causal(Alignment.BOTTOM_RIGHT).build(), BHSD, BHSD, BHSD, null, null), BHSD));
        list.add(new C("causal offset 5", Problems.attention(rnd, spec(2, 1, 1, 3, 9, 4, 4).causal(Alignment.offset(5)).build(), BHSD, BHSD, BHSD, null, null), BHSD));
        list.add(new C("sliding window causal", Problems.attention(rnd, spec(1, 4, 2, 10, 10, 4, 4).causal(Alignment.TOP_LEFT).window(new Window(3, 0), Alignment.TOP_LEFT).build(), BHSD, BHSD, BHSD, null, null), BHSD));
        list.add(new C("two-sided window", Problems.attention(rnd, spec(1, 2, 2, 7, 12, 4, 4).window(new Window(2, 3), Alignment.BOTTOM_RIGHT).build(), BHSD, BHSD, BHSD, null, null), BHSD));
        list.add(new C("boolean mask full", Problems.attention(rnd, spec(2, 2, 1, 4, 6, 4, 4).build(), BHSD, BHSD, BHSD, Problems.randomKeep(rnd, 2, 2, 4, 6), null), BHSD));
        list.add(new C("boolean mask broadcast (Sq,Skv)", Problems.attention(rnd, spec(2, 2, 2, 4, 6, 4, 4).build(), BHSD, BHSD, BHSD, Problems.randomKeep(rnd, 4, 6), null), BHSD));
        list.add(new C("additive mask (B,1,1,Skv)", Problems.attention(rnd, spec(3, 2, 2, 4, 5, 4, 4).build(), BHSD, BHSD, BHSD, Problems.randomBias(rnd, 3, 1, 1, 5), null), BHSD));
        list.add(new C("additive mask (1,Hq,Sq,1) + causal", Problems.attention(rnd, spec(1, 3, 1, 5, 5, 4, 4).causal(Alignment.TOP_LEFT).build(), BHSD, BHSD, BHSD, Problems.randomBias(rnd, 1, 3, 5, 1), null), BHSD));
        list.add(new C("key padding", Problems.attention(rnd, spec(3, 2, 2, 4, 7, 4, 4).build(), BHSD, BHSD, BHSD, null, new int[]{7, 3, 0}), BHSD));
        list.add(new C("BSHD everywhere", Problems.attention(rnd, spec(2, 4, 2, 5, 6, 8, 4).build(), BSHD, BSHD, BSHD, null, null), BSHD));
        list.add(new C("mixed layouts", Problems.attention(rnd, spec(2, 2, 2, 5, 6, 4, 4).build(), BSHD, BHSD, BSHD, null, null), BHSD));
        list.add(new C("long rows, parallel path", Problems.attention(rnd, spec(2, 4, 2, 70, 90, 16, 16).causal(Alignment.BOTTOM_RIGHT).build(), BSHD, BHSD, BHSD, null, null), BSHD));
        list.add(new C("everything at once", Problems.attention(rnd, spec(2, 4, 2, 9, 11, 6, 3).scale(0.4).softcap(2.5).causal(Alignment.offset(1)).window(new Window(4, Window.UNBOUNDED), Alignment.offset(1)).build(), BSHD, BSHD, BHSD, Problems.randomBias(rnd, 2, 1, 9, 11), new int[]{11, 6}), BSHD));
        list.add(new C("window only, Sq=1 decode", Problems.attention(rnd, spec(2, 2, 1, 1, 16, 8, 8).window(new Window(5, 0), Alignment.BOTTOM_RIGHT).build(), BHSD, BSHD, BSHD, null, new int[]{16, 9}), BHSD));
        for (C c : list) cases.add(Arguments.of(Named.of(c.name() + ": " + c.problem(), c.problem()), c.out()));
        return cases;
    }

    @ParameterizedTest
    @MethodSource("attentionCases")
    void attentionAgrees(AttentionProblem problem, Layout outLayout) {
        Tensor expected = problem.allocateOutput(outLayout).fill(Float.NaN);
        Tensor actual = problem.allocateOutput(outLayout).fill(Float.NaN);
        NAIVE.attention(problem, expected);
        BATCHED.attention(problem, actual);
        assertClose(expected, actual, 1e-5, 1e-6, problem.toString());
    }

    static List<Arguments> layerCases() {
        Random rnd = new Random(7);
        List<Arguments> cases = new ArrayList<>();
        List<LayerProblem> list = new ArrayList<>();
        list.add(Problems.layer(rnd, new LayerSpec(spec(2, 2, 2, 5, 5, 4, 4).build(), 8, 0, 8, false, null, 0), false, null, null, 0, 0));
        list.add(Problems.layer(rnd, new LayerSpec(spec(2, 4, 2, 6, 6, 4, 3).causal(Alignment.TOP_LEFT).build(), 16, 0, 10, true, Rotary.of(4), 0), false, null, null, 0, 0));
        list.add(Problems.layer(rnd, new LayerSpec(spec(1, 4, 1, 5, 5, 8, 8).scale(0.3).softcap(4).build(), 12, 0, 12, true, new Rotary(6, 500, true), 3), true, Problems.randomKeep(rnd, 5, 5), null, 7, 7));
        list.add(Problems.layer(rnd, new LayerSpec(spec(2, 2, 2, 4, 7, 4, 6).build(), 8, 5, 8, true, Rotary.of(4), 2), false, Problems.randomBias(rnd, 2, 1, 1, 7), new int[]{7, 4}, 3, 0));
        list.add(Problems.layer(rnd, new LayerSpec(spec(2, 4, 2, 3, 9, 8, 8).causal(Alignment.BOTTOM_RIGHT).window(new Window(4, 0), Alignment.BOTTOM_RIGHT).build(), 16, 6, 16, false, Rotary.of(8), 4), true, null, null, 6, 0));
        list.add(Problems.layer(rnd, new LayerSpec(spec(2, 8, 2, 40, 40, 16, 16).causal(Alignment.TOP_LEFT).build(), 128, 0, 128, true, Rotary.of(16), 8), false, null, null, 0, 0));
        for (LayerProblem p : list) cases.add(Arguments.of(Named.of(p.toString(), p)));
        return cases;
    }

    @ParameterizedTest
    @MethodSource("layerCases")
    void layerAgrees(LayerProblem problem) {
        Tensor expected = problem.allocateOutput().fill(Float.NaN);
        int[] shape = problem.outputShape();
        // the batched output goes into a non-dense (S, B, dOut) buffer seen as (B, S, dOut)
        Tensor actual = Tensor.zeros(shape[1], shape[0], shape[2]).permute(1, 0, 2).fill(Float.NaN);
        NAIVE.layer(problem, expected);
        BATCHED.layer(problem, actual);
        assertClose(expected, actual, 1e-5, 1e-6, problem.toString());
    }
}
