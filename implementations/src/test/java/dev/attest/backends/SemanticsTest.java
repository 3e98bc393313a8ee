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
import dev.attest.reference.MaskView;
import dev.attest.reference.Rotary;
import dev.attest.reference.Tensor;
import dev.attest.reference.Window;
import dev.attest.spi.AttentionBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Random;

import static dev.attest.backends.Problems.assertClose;

/**
 * Checks that do not share code with the backends: a small double-precision transcription of the layer equations
 * (merged LoRA weights, rotation by the formula) and metamorphic relations (GQA = MHA with repeated K/V heads,
 * rotary depends only on relative positions).
 */
class SemanticsTest {

    static List<AttentionBackend> backends() {
        return List.of(new CpuNaiveBackend(), new CpuBatchedBackend());
    }

    @ParameterizedTest
    @MethodSource("backends")
    void groupedQueryHeadsEqualRepeatedKeyValueHeads(AttentionBackend backend) {
        Random rnd = new Random(11);
        var gqa = AttentionSpec.builder().batch(2).heads(6, 2).lengths(4, 5).headDims(3, 2).build();
        AttentionProblem problem = Problems.attention(rnd, gqa, Layout.BHSD, Layout.BSHD, Layout.BHSD, null, null);
        Tensor k = Tensor.zeros(2, 6, 5, 3), v = Tensor.zeros(2, 6, 5, 2);
        for (int b = 0; b < 2; b++) {
            for (int h = 0; h < 6; h++) {
                for (int j = 0; j < 5; j++) {
                    for (int d = 0; d < 3; d++) k.set(problem.key().get(b, h / 3, j, d), b, h, j, d);
                    for (int d = 0; d < 2; d++) v.set(problem.value().get(b, h / 3, j, d), b, h, j, d);
                }
            }
        }
        var mha = new AttentionProblem(gqa.toBuilder().heads(6, 6).build(), problem.query(), k, v);
        Tensor expected = mha.allocateOutput(Layout.BHSD), actual = problem.allocateOutput(Layout.BHSD);
        backend.attention(mha, expected);
        backend.attention(problem, actual);
        assertClose(expected, actual, 0, 0, "GQA vs repeated MHA");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void rotaryDependsOnlyOnRelativePositions(AttentionBackend backend) {
        var core = AttentionSpec.builder().batch(1).heads(2, 2).lengths(4, 4).headDim(8).build();
        var spec = new LayerSpec(core, 16, 0, 16, true, Rotary.of(8), 0);
        LayerProblem at0 = Problems.layer(new Random(12), spec, false, null, null, 0, 0);
        LayerProblem at9 = new LayerProblem(spec, at0.weights(), at0.input(), null, null, null, 9, 9);
        LayerProblem shifted = new LayerProblem(spec, at0.weights(), at0.input(), null, null, null, 9, 0);
        Tensor a = at0.allocateOutput(), b = at0.allocateOutput(), c = at0.allocateOutput();
        backend.layer(at0, a);
        backend.layer(at9, b);
        backend.layer(shifted, c);
        assertClose(a, b, 1e-4, 1e-5, "same relative positions");
        float[] x = a.toArray(), y = c.toArray();
        double diff = 0;
        for (int i = 0; i < x.length; i++) diff = Math.max(diff, Math.abs(x[i] - y[i]));
        org.junit.jupiter.api.Assertions.assertTrue(diff > 1e-3, "different relative positions must change Y");
    }

    static List<LayerProblem> layers() {
        Random rnd = new Random(13);
        return List.of(
                Problems.layer(rnd, new LayerSpec(AttentionSpec.builder().batch(2).heads(4, 2).lengths(5, 5).headDims(4, 3)
                        .causal(Alignment.TOP_LEFT).softcap(1.5).build(), 8, 0, 6, true, new Rotary(4, 100, true), 2),
                        true, Problems.randomBias(rnd, 1, 4, 5, 5), null, 3, 3),
                Problems.layer(rnd, new LayerSpec(AttentionSpec.builder().batch(2).heads(2, 1).lengths(3, 7).headDims(6, 4)
                        .window(new Window(2, 1), Alignment.BOTTOM_RIGHT).scale(0.5).build(), 6, 5, 7, true, Rotary.of(4), 3),
                        false, Problems.randomKeep(rnd, 2, 1, 3, 7), new int[]{7, 5}, 4, 1));
    }

    @ParameterizedTest
    @MethodSource("layers")
    void layerMatchesDoublePrecisionTranscription(LayerProblem problem) {
        double[][][] expected = reference(problem);
        for (AttentionBackend backend : backends()) {
            Tensor out = problem.allocateOutput().fill(Float.NaN);
            backend.layer(problem, out);
            for (int b = 0; b < expected.length; b++) {
                for (int i = 0; i < expected[b].length; i++) {
                    for (int c = 0; c < expected[b][i].length; c++) {
                        double e = expected[b][i][c], a = out.get(b, i, c);
                        org.junit.jupiter.api.Assertions.assertTrue(Math.abs(e - a) <= 1e-4 * Math.abs(e) + 1e-5,
                                backend.name() + " Y[" + b + "," + i + "," + c + "] = " + a + ", expected " + e);
                    }
                }
            }
        }
    }

    /** The layer in double: merged weights W + (alpha/r) A B, rotation by formula, softmax, concat, output. */
    private static double[][][] reference(LayerProblem p) {
        LayerSpec spec = p.spec();
        AttentionSpec core = spec.core();
        LayerWeights w = p.weights();
        int batch = core.batch(), sq = core.qLength(), skv = core.kvLength();
        double[][][] q = linear(p.input(), w.wq(), w.bq(), w.loraQ());
        double[][][] k = linear(p.keyValueSource(), w.wk(), w.bk(), w.loraK());
        double[][][] v = linear(p.keyValueSource(), w.wv(), w.bv(), w.loraV());
        int dqk = core.qkHeadDim(), dv = core.vHeadDim();
        Rotary rope = spec.rotary();
        if (rope != null) {
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < sq; i++) for (int h = 0; h < core.qHeads(); h++) rotate(rope, q[b][i], h * dqk, p.queryPosition() + i);
                for (int j = 0; j < skv; j++) for (int h = 0; h < core.kvHeads(); h++) rotate(rope, k[b][j], h * dqk, p.keyPosition() + j);
            }
        }
        MaskView mask = new AttentionProblem(core, Tensor.zeros(batch, core.qHeads(), sq, dqk),
                Tensor.zeros(batch, core.kvHeads(), skv, dqk), Tensor.zeros(batch, core.kvHeads(), skv, dv), p.mask(),
                p.keyLengths()).maskView();
        double[][][] concat = new double[batch][sq][spec.concatWidth()];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < core.qHeads(); h++) {
                int g = h * core.kvHeads() / core.qHeads();
                for (int i = 0; i < sq; i++) {
                    double[] s = new double[skv];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < skv; j++) {
                        if (!mask.visible(b, h, i, j)) continue;
                        double dot = 0;
                        for (int d = 0; d < dqk; d++) dot += q[b][i][h * dqk + d] * k[b][j][g * dqk + d];
                        dot *= core.effectiveScale();
                        if (core.softcap() != 0) dot = core.softcap() * Math.tanh(dot / core.softcap());
                        s[j] = dot + mask.bias(b, h, i, j);
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < skv; j++) if (mask.visible(b, h, i, j)) sum += Math.exp(s[j] - max);
                    for (int j = 0; j < skv; j++) {
                        if (!mask.visible(b, h, i, j)) continue;
                        double pj = Math.exp(s[j] - max) / sum;
                        for (int d = 0; d < dv; d++) concat[b][i][h * dv + d] += pj * v[b][j][g * dv + d];
                    }
                }
            }
        }
        double[][][] y = new double[batch][sq][spec.outputDim()];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < sq; i++) {
                for (int c = 0; c < spec.outputDim(); c++) {
                    double acc = w.bo() == null ? 0 : w.bo().get(c);
                    for (int t = 0; t < spec.concatWidth(); t++) acc += concat[b][i][t] * w.wo().get(t, c);
                    y[b][i][c] = acc;
                }
            }
        }
        return y;
    }

    private static double[][][] linear(Tensor x, Tensor wt, Tensor bias, LayerWeights.Lora lora) {
        int in = wt.dim(0), outW = wt.dim(1);
        double[][] merged = new double[in][outW];
        for (int r = 0; r < in; r++) {
            for (int c = 0; c < outW; c++) {
                merged[r][c] = wt.get(r, c);
                if (lora != null) {
                    for (int t = 0; t < lora.rank(); t++) merged[r][c] += lora.scaling() * lora.a().get(r, t) * lora.b().get(t, c);
                }
            }
        }
        double[][][] y = new double[x.dim(0)][x.dim(1)][outW];
        for (int b = 0; b < x.dim(0); b++) {
            for (int s = 0; s < x.dim(1); s++) {
                for (int c = 0; c < outW; c++) {
                    double acc = bias == null ? 0 : bias.get(c);
                    for (int r = 0; r < in; r++) acc += x.get(b, s, r) * merged[r][c];
                    y[b][s][c] = acc;
                }
            }
        }
        return y;
    }

    private static void rotate(Rotary rope, double[] x, int base, int pos) {
        for (int t = 0; t < rope.dims() / 2; t++) {
            double theta = pos * Math.pow(rope.base(), -2.0 * t / rope.dims());
            int a = base + (rope.interleaved() ? 2 * t : t), b = base + (rope.interleaved() ? 2 * t + 1 : t + rope.dims() / 2);
            double x1 = x[a], x2 = x[b];
            x[a] = x1 * Math.cos(theta) - x2 * Math.sin(theta);
            x[b] = x2 * Math.cos(theta) + x1 * Math.sin(theta);
        }
    }
}
