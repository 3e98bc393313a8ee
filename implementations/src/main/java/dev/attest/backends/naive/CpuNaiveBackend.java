package dev.attest.backends.naive;

import dev.attest.backends.cache.CpuKvCache;
import dev.attest.backends.kernels.Rope;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.spi.KvCache;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.ElementType;
import dev.attest.reference.Layout;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.MaskView;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.spi.CheckedBackend;
import dev.attest.spi.Capabilities;

/**
 * The textbook implementation, kept plain on purpose: it is the readable reference every faster backend is
 * compared with. fp32 storage, fp32 accumulation in natural order, one thread.
 *
 * <p>Core attention materialises the full {@code Sq x Skv} score matrix per (batch, query head); the layer
 * projects each head separately with its own column slice of the weights, as the equations are written.
 */
public final class CpuNaiveBackend extends CheckedBackend {
    private static final Capabilities CAPABILITIES = Capabilities.everything(Precision.FP32)
            .withTypes(new java.util.LinkedHashSet<>(dev.attest.spi.TensorTypes.COMMON));
    /**
     * Every feature but the auxiliary outputs, on fp32 tensors only: what a planted bug built on this backend
     * declares when its code reads {@link Tensor#data()} (an fp32 array) directly and returns only the output.
     */
    public static final Capabilities FP32_CAPABILITIES = Capabilities.everything(Precision.FP32)
            .without(dev.attest.spi.Feature.LOG_SUM_EXP, dev.attest.spi.Feature.ATTENTION_SCORES);

    /**
     * The full backend: every feature of the contract, in every common combination of element types, accumulating
     * in fp32 (what {@link java.util.ServiceLoader} creates).
     */
    public CpuNaiveBackend() {
        this(CAPABILITIES);
    }

    /**
     * The same backend declaring only {@code capabilities} (a subset of what it can do), so that the refusal path
     * (an undeclared feature is refused before anything is written) can be exercised.
     */
    public CpuNaiveBackend(Capabilities capabilities) {
        super("cpu-naive", "textbook loops: full score matrix per head, per-head projections, fp32 accumulation"
                + " (fp16, bf16 and fp8 inputs widened), single thread", capabilities);
    }

    @Override
    protected void computeAttention(AttentionProblem problem, Tensor out) {
        attend(problem, out);
    }

    @Override
    protected void computeAttention(AttentionProblem problem, Tensor out, dev.attest.reference.AuxiliaryOutputs aux) {
        attend(problem, out);
        dev.attest.backends.kernels.AuxiliaryRows.write(problem, aux);
    }

    /**
     * Core attention in fp32: a tensor of another type is first widened to fp32 (an fp8 value times its descale,
     * rounded to fp32), and the result is rounded once into the output's type.
     */
    private static void attend(AttentionProblem problem, Tensor out) {
        if (out.type() == ElementType.FP32) {
            attendFp32(problem, out);
            return;
        }
        Tensor result = problem.allocateOutput(Layout.BHSD);
        attendFp32(problem, result);
        out.copyFrom(result);
    }

    private static Tensor fp32(Tensor t) {
        return t.type() == ElementType.FP32 ? t : t.to(ElementType.FP32);
    }

    /** Core attention; all tensors are strided views indexed through {@link Tensor#index(int, int, int, int)}. */
    private static void attendFp32(AttentionProblem problem, Tensor out) {
        AttentionSpec spec = problem.spec();
        Tensor q = fp32(problem.query()), k = fp32(problem.key()), v = fp32(problem.value());
        MaskView mask = problem.maskView();
        int sq = spec.qLength(), skv = spec.kvLength(), dqk = spec.qkHeadDim(), dv = spec.vHeadDim();
        float scale = (float) spec.effectiveScale();
        double cap = spec.softcap();
        float[] o = out.data();

        float[][] scores = new float[sq][skv];
        boolean[][] visible = new boolean[sq][skv];
        for (int b = 0; b < spec.batch(); b++) {
            for (int h = 0; h < spec.qHeads(); h++) {
                // query head h reads kv head h / (Hq / Hkv): repeat-interleave GQA, visible on purpose
                int kvh = h / spec.groupSize();

                // 1. scores S[i][j] = softcap((q_i . k_j) * scale) + bias, for visible keys only
                for (int i = 0; i < sq; i++) {
                    for (int j = 0; j < skv; j++) {
                        visible[i][j] = mask.visible(b, h, i, j);
                        if (!visible[i][j]) continue;          // a hidden key is never read
                        float dot = 0f;
                        for (int d = 0; d < dqk; d++) {
                            dot += q.data()[q.index(b, h, i, d)] * k.data()[k.index(b, kvh, j, d)];
                        }
                        float s = dot * scale;
                        if (cap != 0) s = (float) (cap * Math.tanh(s / cap));   // softcap before the bias
                        scores[i][j] = s + mask.bias(b, h, i, j);
                    }
                }

                for (int i = 0; i < sq; i++) {
                    // 2. softmax over the visible keys of row i, max-subtracted
                    float max = Float.NEGATIVE_INFINITY;
                    boolean any = false;
                    for (int j = 0; j < skv; j++) {
                        if (!visible[i][j]) continue;
                        max = any ? Math.max(max, scores[i][j]) : scores[i][j];
                        any = true;
                    }
                    float sum = 0f;
                    for (int j = 0; j < skv; j++) {
                        if (!visible[i][j]) continue;
                        scores[i][j] = (float) Math.exp(scores[i][j] - max);
                        sum += scores[i][j];
                    }
                    for (int j = 0; j < skv; j++) {
                        if (visible[i][j]) scores[i][j] = scores[i][j] / sum;
                    }

                    // 3. o_i = sum_j P[i][j] * v_j; a fully masked row stays all zero
                    for (int d = 0; d < dv; d++) {
                        float acc = 0f;
                        for (int j = 0; j < skv; j++) {
                            if (!visible[i][j]) continue;
                            acc += scores[i][j] * v.data()[v.index(b, kvh, j, d)];
                        }
                        o[out.index(b, h, i, d)] = acc;
                    }
                }
            }
        }
    }

    @Override
    protected KvCache createCache(CacheSpec spec, LayerWeights weights) {
        return new NaiveCache(spec, weights);
    }

    /**
     * The KV cache the textbook way: each new query walks every cached position, asks whether it is visible
     * (causal with offset = past length, then the window, then the chunk's mask), and runs the same three steps as
     * {@link #attend}: logits, max-subtracted softmax, weighted sum. Fresh arrays per query; nothing clever. Cached keys and values
     * are read one element at a time, widened from the cache's storage type (times the fp8 descale).
     */
    private static final class NaiveCache extends CpuKvCache {
        NaiveCache(CacheSpec spec, LayerWeights weights) {
            super(spec, weights);
        }

        @Override
        protected void attendToken(int b, int p, int first, int last, float[] bias, float[] q, float[] o) {
            int count = last - first + 1;
            for (int h = 0; h < qHeads; h++) {
                int kvh = h / group;                         // query head h reads kv head h / (Hq / Hkv)
                float[] scores = new float[last + 1];
                boolean[] visible = new boolean[last + 1];
                float max = Float.NEGATIVE_INFINITY;
                boolean any = false;
                for (int j = 0; j <= last; j++) {
                    float masked = bias == null || j < first ? 0f : bias[h * count + j - first];
                    visible[j] = j >= first && masked != Float.NEGATIVE_INFINITY;   // window, eviction, mask
                    if (!visible[j]) continue;
                    float dot = 0f;
                    for (int d = 0; d < qkDim; d++) dot += q[h * qkDim + d] * key(b, j, kvh, d);
                    float s = dot * scale;
                    if (softcap != 0) s = (float) (softcap * Math.tanh(s / softcap));
                    scores[j] = s + masked;
                    max = any ? Math.max(max, scores[j]) : scores[j];
                    any = true;
                }
                float sum = 0f;
                for (int j = 0; j <= last; j++) {
                    if (!visible[j]) continue;
                    scores[j] = (float) Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int d = 0; d < vDim; d++) {
                    float acc = 0f;
                    for (int j = 0; j <= last; j++) {
                        if (visible[j]) acc += scores[j] / sum * value(b, j, kvh, d);
                    }
                    o[h * vDim + d] = acc;
                }
            }
        }
    }

    /** A bf16 or fp16 layer: widened to fp32, computed as below, the output rounded once to its type. */
    @Override
    protected void computeLayer(LayerProblem problem, Tensor out) {
        dev.attest.backends.kernels.WidenedLayer.run(problem, out, CpuNaiveBackend::layerFp32);
    }

    private static void layerFp32(LayerProblem problem, Tensor out) {
        LayerSpec spec = problem.spec();
        AttentionSpec core = spec.core();
        LayerWeights w = problem.weights();
        Tensor x = problem.input();
        Tensor m = problem.keyValueSource();
        int hq = core.qHeads(), hkv = core.kvHeads(), dqk = core.qkHeadDim(), dv = core.vHeadDim();

        // 1. per-head projections: head h of Q is X * Wq[:, h*Dqk : (h+1)*Dqk] (+ bias, + LoRA), BHSD
        Tensor q = Tensor.zeros(core.batch(), hq, core.qLength(), dqk);
        Tensor k = Tensor.zeros(core.batch(), hkv, core.kvLength(), dqk);
        Tensor v = Tensor.zeros(core.batch(), hkv, core.kvLength(), dv);
        for (int h = 0; h < hq; h++) project(x, w.wq(), w.bq(), w.loraQ(), h * dqk, q, h);
        for (int h = 0; h < hkv; h++) project(m, w.wk(), w.bk(), w.loraK(), h * dqk, k, h);
        for (int h = 0; h < hkv; h++) project(m, w.wv(), w.bv(), w.loraV(), h * dv, v, h);

        // 2. rotary on Q and K, per head, at absolute positions (queryPosition + i, keyPosition + j)
        if (spec.rotary() != null) {
            for (int b = 0; b < core.batch(); b++) {
                for (int h = 0; h < hq; h++) {
                    for (int i = 0; i < core.qLength(); i++) {
                        Rope.rotate(spec.rotary(), q.data(), q.index(b, h, i, 0), q.stride(3),
                                (long) problem.queryPosition() + i);
                    }
                }
                for (int h = 0; h < hkv; h++) {
                    for (int j = 0; j < core.kvLength(); j++) {
                        Rope.rotate(spec.rotary(), k.data(), k.index(b, h, j, 0), k.stride(3),
                                (long) problem.keyPosition() + j);
                    }
                }
            }
        }

        // 3. core attention into O (B, Hq, Sq, Dv)
        Tensor o = Tensor.zeros(core.batch(), hq, core.qLength(), dv);
        attend(new AttentionProblem(core, q, k, v, problem.mask(), problem.keyLengths()), o);

        // 4. Y = concat_h(O_h) * Wo + bo; head h owns concat columns [h*Dv, (h+1)*Dv)
        Tensor wo = w.wo();
        for (int b = 0; b < core.batch(); b++) {
            for (int i = 0; i < core.qLength(); i++) {
                for (int c = 0; c < spec.outputDim(); c++) {
                    float acc = 0f;
                    for (int h = 0; h < hq; h++) {
                        for (int d = 0; d < dv; d++) {
                            acc += o.data()[o.index(b, h, i, d)] * wo.get(h * dv + d, c);
                        }
                    }
                    if (w.bo() != null) acc += w.bo().get(c);
                    out.set(acc, b, i, c);
                }
            }
        }
    }

    /**
     * One head of a projection: {@code dst[b, head, s, :] = src[b, s, :] * W[:, col0 : col0+D] + bias[col0 : col0+D]
     * + (alpha/r) * (src[b, s, :] * A) * B[:, col0 : col0+D]}, each sum accumulated in float in natural order.
     */
    private static void project(Tensor src, Tensor weight, Tensor bias, LayerWeights.Lora lora, int col0, Tensor dst,
                                int head) {
        int batch = src.dim(0), length = src.dim(1), in = src.dim(2), width = dst.dim(3);
        float loraScale = lora == null ? 0f : (float) lora.scaling();
        for (int b = 0; b < batch; b++) {
            for (int s = 0; s < length; s++) {
                float[] t = null;
                if (lora != null) {                                   // t = x * A   (1 x r)
                    t = new float[lora.rank()];
                    for (int r = 0; r < t.length; r++) {
                        float acc = 0f;
                        for (int p = 0; p < in; p++) acc += src.get(b, s, p) * lora.a().get(p, r);
                        t[r] = acc;
                    }
                }
                for (int d = 0; d < width; d++) {
                    int col = col0 + d;
                    float acc = 0f;
                    for (int p = 0; p < in; p++) acc += src.get(b, s, p) * weight.get(p, col);
                    if (bias != null) acc += bias.get(col);
                    if (lora != null) {
                        float low = 0f;
                        for (int r = 0; r < t.length; r++) low += t[r] * lora.b().get(r, col);
                        acc += loraScale * low;
                    }
                    dst.set(acc, b, head, s, d);
                }
            }
        }
    }
}
