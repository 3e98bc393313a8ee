package dev.attest.oracle;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.Layout;
import dev.attest.reference.Mask;
import dev.attest.reference.Precision;
import dev.attest.reference.Rotary;
import dev.attest.reference.Tensor;
import dev.attest.reference.Window;
import org.junit.jupiter.api.Test;

import static dev.attest.oracle.OracleSemanticsTest.mat;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The double-double oracle checked by the arbitrary-precision one (Dfp, 40 digits) on small seeded problems.
 *
 * <p>Error of an element: {@code |a - b| / max(|b|, max_k |b_k|)}, with {@code b} the Dfp result rounded to double
 * and the max taken over all elements of the same output; NaN must match NaN. The worst over all elements and
 * problems must be at most {@code 1e-13} for the oracle, while the plain fp32 naive computation is shown to be far
 * above that on the same problems (so the check can fail).
 */
class OracleOfOracleTest {
    private static final double BOUND = 1e-13;

    static double worstError(OracleResult a, OracleResult exact) {
        double scale = exact.maxAbs(), worst = 0;
        for (int i = 0; i < exact.values().length; i++) {
            double x = a.values()[i], y = exact.values()[i];
            if (Double.isNaN(y) || Double.isNaN(x)) {
                if (Double.isNaN(x) != Double.isNaN(y)) return Double.POSITIVE_INFINITY;
                continue;
            }
            double denominator = Math.max(Math.abs(y), scale);
            worst = Math.max(worst, denominator == 0 ? Math.abs(x - y) : Math.abs(x - y) / denominator);
        }
        return worst;
    }

    static List<AttentionProblem> randomProblems(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<AttentionProblem> problems = new ArrayList<>();
        Alignment[] alignments = {Alignment.TOP_LEFT, Alignment.BOTTOM_RIGHT, Alignment.offset(1), Alignment.offset(-1)};
        for (int n = 0; n < count; n++) {
            int b = 1 + random.nextInt(2), hkv = 1 + random.nextInt(2), hq = hkv * (1 + random.nextInt(2));
            int sq = 1 + random.nextInt(6), skv = 1 + random.nextInt(6);
            int dqk = 1 + random.nextInt(5), dv = 1 + random.nextInt(5);
            AttentionSpec.Builder spec = AttentionSpec.builder().batch(b).heads(hq, hkv).lengths(sq, skv).headDims(dqk, dv);
            if (n % 3 == 1) spec.scale(0.05 + random.nextDouble());
            if (n % 4 == 2) spec.softcap(0.5 + 5 * random.nextDouble());
            Alignment alignment = alignments[n % alignments.length];
            if (n % 2 == 0) spec.causal(alignment);
            if (n % 5 == 3) spec.window(new Window(random.nextInt(3), random.nextInt(3)), alignment);
            float amplitude = n % 6 == 5 ? 8f : 1.5f;      // some rows with large logits
            Layout layout = n % 7 == 4 ? Layout.BSHD : Layout.BHSD;
            Tensor q = fill(layout.allocate(b, hq, sq, dqk), random, amplitude);
            Tensor k = fill(layout.allocate(b, hkv, skv, dqk), random, amplitude);
            Tensor v = fill(layout.allocate(b, hkv, skv, dv), random, 1);
            Mask mask = null;
            switch (n % 3) {
                case 0 -> {
                    boolean[] keep = new boolean[hq * sq * skv];
                    for (int i = 0; i < keep.length; i++) keep[i] = random.nextInt(5) != 0;
                    mask = new Mask.Keep(keep, new int[]{hq, sq, skv});
                }
                case 1 -> {
                    float[] bias = new float[b * 1 * sq * skv];
                    for (int i = 0; i < bias.length; i++) {
                        bias[i] = random.nextInt(8) == 0 ? Float.NEGATIVE_INFINITY : (float) (2 * random.nextGaussian());
                    }
                    mask = new Mask.Bias(bias, new int[]{b, 1, sq, skv});
                }
                default -> { }
            }
            int[] keyLengths = null;
            if (n % 4 == 3) {
                keyLengths = new int[b];
                for (int i = 0; i < b; i++) keyLengths[i] = random.nextInt(skv + 1);
            }
            problems.add(new AttentionProblem(spec.build(), q, k, v, mask, keyLengths));
        }
        return problems;
    }

    static Tensor fill(Tensor t, SplittableRandom random, float amplitude) {
        int[] shape = t.shape();
        for (int a = 0; a < shape[0]; a++) for (int b = 0; b < shape[1]; b++) for (int c = 0; c < shape[2]; c++)
            for (int d = 0; d < shape[3]; d++) t.set((float) (amplitude * random.nextGaussian()), a, b, c, d);
        return t;
    }

    static List<LayerProblem> randomLayers(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<LayerProblem> problems = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            boolean cross = n % 3 == 1, biases = n % 2 == 0;
            int b = 1 + random.nextInt(2), hkv = 1 + random.nextInt(2), hq = hkv * (1 + random.nextInt(2));
            int sq = 1 + random.nextInt(4), skv = cross ? 1 + random.nextInt(5) : sq;
            int d = 2 * (1 + random.nextInt(2)), dv = 1 + random.nextInt(4);
            AttentionSpec.Builder core = AttentionSpec.builder().batch(b).heads(hq, hkv).lengths(sq, skv).headDims(d, dv);
            if (!cross && n % 4 == 0) core.causal(Alignment.TOP_LEFT);
            if (n % 5 == 2) core.softcap(3);
            int dModel = 2 + random.nextInt(5), dMemory = cross ? 1 + random.nextInt(5) : 0, dOut = 1 + random.nextInt(5);
            int rank = n % 3 == 2 ? 0 : 1 + random.nextInt(2);
            Rotary rotary = n % 2 == 1 || n == 4 ? new Rotary(d, 10000.0, n % 4 == 1) : null;
            LayerSpec spec = new LayerSpec(core.build(), dModel, dMemory, dOut, biases, rotary, rank);
            int in = spec.keyValueSourceDim();
            LayerWeights w = new LayerWeights(mat(random, dModel, spec.qWidth()), biases ? mat(random, spec.qWidth()) : null,
                    mat(random, in, spec.kWidth()), biases ? mat(random, spec.kWidth()) : null,
                    mat(random, in, spec.vWidth()), biases ? mat(random, spec.vWidth()) : null,
                    mat(random, spec.concatWidth(), dOut), biases ? mat(random, dOut) : null,
                    rank == 0 ? null : lora(random, dModel, rank, spec.qWidth()),
                    rank == 0 ? null : lora(random, in, rank, spec.kWidth()),
                    rank == 0 ? null : lora(random, in, rank, spec.vWidth()));
            Tensor x = mat(random, b, sq, dModel);
            Tensor memory = cross ? mat(random, b, skv, dMemory) : null;
            int[] keyLengths = n % 3 == 0 ? new int[]{skv, Math.max(0, skv - 1)} : null;
            if (keyLengths != null && b == 1) keyLengths = new int[]{skv - 1};
            problems.add(new LayerProblem(spec, w, x, memory, null, keyLengths, 2 * n, n));
        }
        return problems;
    }

    /**
     * The oracle's LoRA (applied unmerged, {@code X*W + (alpha/r)(X*A)*B}) equals the adapter merged into the
     * weights. Weights and adapters are small multiples of 1/8 and alpha = r, so {@code W + A*B} is exact in fp32 and
     * both forms describe the same layer to the last bit: the properties may then judge a backend's unmerged LoRA by
     * the oracle of the unmerged form (AttentionContract S6).
     */
    @Test
    void anUnmergedLoraAdapterEqualsItsExactMergeIntoTheWeights() {
        int checked = 0;
        for (LayerProblem p : randomLayers(24, 11)) {
            if (p.spec().loraRank() == 0) continue;
            LayerWeights w = p.weights();
            LayerWeights u = new LayerWeights(eighths(w.wq()), w.bq(), eighths(w.wk()), w.bk(), eighths(w.wv()),
                    w.bv(), w.wo(), w.bo(), unit(w.loraQ()), unit(w.loraK()), unit(w.loraV()));
            LayerSpec s = p.spec();
            LayerProblem unmerged = with(p, s, u);
            LayerProblem merged = with(p, new LayerSpec(s.core(), s.modelDim(), s.memoryDim(), s.outputDim(),
                    s.biases(), s.rotary(), 0), new LayerWeights(merge(u.wq(), u.loraQ()), u.bq(),
                    merge(u.wk(), u.loraK()), u.bk(), merge(u.wv(), u.loraV()), u.bv(), u.wo(), u.bo(), null, null,
                    null));
            double error = worstError(Oracle.layer(unmerged), Oracle.layer(merged));
            assertTrue(error <= BOUND, "unmerged vs merged LoRA: " + error + " on " + p.spec());
            checked++;
        }
        assertTrue(checked >= 10, "too few layers with an adapter: " + checked);
    }

    /** {@code p} with another spec and weights; inputs, masks and positions kept. */
    private static LayerProblem with(LayerProblem p, LayerSpec spec, LayerWeights weights) {
        return new LayerProblem(spec, weights, p.input(), p.memory(), p.mask(), p.keyLengths(), p.queryPosition(),
                p.keyPosition());
    }

    /** Rounded to a multiple of 1/8 in [-2, 2]: products of two sum exactly in fp32. */
    private static Tensor eighths(Tensor t) {
        Tensor r = t.copy();
        float[] d = r.data();
        for (int i = 0; i < d.length; i++) d[i] = Math.max(-2f, Math.min(2f, Math.round(d[i] * 8f) / 8f));
        return r;
    }

    /** The adapter with eighths for A and B and alpha = r (scaling 1). */
    private static LayerWeights.Lora unit(LayerWeights.Lora lora) {
        return new LayerWeights.Lora(eighths(lora.a()), eighths(lora.b()), lora.rank());
    }

    /** {@code W + (alpha/r) A*B}, exact for eighths and scaling 1 (checked). */
    private static Tensor merge(Tensor w, LayerWeights.Lora lora) {
        Tensor merged = w.copy();
        for (int i = 0; i < w.dim(0); i++) {
            for (int j = 0; j < w.dim(1); j++) {
                double sum = w.get(i, j);
                for (int r = 0; r < lora.rank(); r++) sum += lora.scaling() * lora.a().get(i, r) * lora.b().get(r, j);
                assertTrue((float) sum == sum, "merge not exact in fp32: " + sum);
                merged.set((float) sum, i, j);
            }
        }
        return merged;
    }

    private static LayerWeights.Lora lora(SplittableRandom random, int in, int rank, int out) {
        return new LayerWeights.Lora(mat(random, in, rank), mat(random, rank, out), 0.5 + random.nextDouble());
    }

    @Test
    void doubleDoubleAttentionAgreesWithDfpAndFp32NaiveDoesNot() {
        double worstOracle = 0, worstNaive = 0;
        String worstCase = "";
        for (AttentionProblem p : randomProblems(30, 42)) {
            OracleResult exact = Oracle.attentionArbitrary(p, 40);
            double e = worstError(Oracle.attention(p), exact);
            if (e > worstOracle) { worstOracle = e; worstCase = p.toString(); }
            worstNaive = Math.max(worstNaive, worstError(Oracle.attentionNaive(p, Precision.FP32), exact));
        }
        System.out.printf(Locale.ROOT, "oracle-of-oracle attention: worst DD error %.3g (%s), fp32 naive %.3g%n",
                worstOracle, worstCase, worstNaive);
        assertTrue(worstOracle <= BOUND, "double-double vs Dfp(40): worst " + worstOracle + " on " + worstCase);
        assertTrue(worstNaive >= 1e-9 && worstNaive < 1e-4, "fp32 naive baseline error " + worstNaive);
    }

    @Test
    void doubleDoubleLayerAgreesWithDfpAndFp32NaiveDoesNot() {
        double worstOracle = 0, worstNaive = 0;
        String worstCase = "";
        for (LayerProblem p : randomLayers(10, 7)) {
            OracleResult exact = Oracle.layerArbitrary(p, 40);
            double e = worstError(Oracle.layer(p), exact);
            if (e > worstOracle) { worstOracle = e; worstCase = p.toString(); }
            worstNaive = Math.max(worstNaive, worstError(Oracle.layerNaive(p, Precision.FP32), exact));
        }
        System.out.printf(Locale.ROOT, "oracle-of-oracle layer: worst DD error %.3g (%s), fp32 naive %.3g%n",
                worstOracle, worstCase, worstNaive);
        assertTrue(worstOracle <= BOUND, "double-double vs Dfp(40): worst " + worstOracle + " on " + worstCase);
        assertTrue(worstNaive >= 1e-9 && worstNaive < 1e-3, "fp32 naive baseline error " + worstNaive);
    }

    @Test
    void length64ProblemRunsQuickly() {
        SplittableRandom random = new SplittableRandom(1);
        AttentionSpec spec = AttentionSpec.builder().heads(4, 4).lengths(64, 64).headDim(32).causal(Alignment.TOP_LEFT).build();
        Tensor q = fill(Layout.BHSD.allocate(1, 4, 64, 32), random, 1);
        Tensor k = fill(Layout.BHSD.allocate(1, 4, 64, 32), random, 1);
        Tensor v = fill(Layout.BHSD.allocate(1, 4, 64, 32), random, 1);
        AttentionProblem p = new AttentionProblem(spec.toBuilder().noCausal().build(), q, k, v);
        Oracle.attention(p);                                           // warm-up
        long start = System.nanoTime();
        OracleResult r = Oracle.attention(p);
        double ms = (System.nanoTime() - start) / 1e6;
        System.out.printf(Locale.ROOT, "double-double attention B=1 H=4 S=64 D=32: %.1f ms%n", ms);
        assertTrue(r.values().length == 4 * 64 * 32);
    }
}
