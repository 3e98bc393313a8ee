package dev.attest.faults;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Descale;
import dev.attest.reference.ElementType;
import dev.attest.reference.MaskView;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Capabilities;
import dev.attest.spi.Feature;
import dev.attest.spi.TensorTypes;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static dev.attest.faults.Mutant.Kit.SOFTMAX;

/**
 * The low-precision part of the planted-bug catalog: a textbook attention loop that reads bf16, fp16 and fp8 inputs
 * (fp8 values times their descale), accumulates in fp32 and rounds once into the output, with one precision
 * {@link Flaw} switched on. Each mutant declares only the element types its bug lives in, so the kit must catch it
 * in those types.
 */
public final class PrecisionMutants {
    private PrecisionMutants() {
    }

    private static final String S7 = "required_S7_agrees_with_the_oracle_within_the_tolerance_model";
    private static final TensorTypes BF16 = TensorTypes.uniform(ElementType.BF16),
            FP16 = TensorTypes.uniform(ElementType.FP16),
            FP8_CACHE = TensorTypes.withCache(ElementType.BF16, ElementType.FP8_E4M3);

    public static List<Mutant> catalog() {
        return List.of(
                m("bf16-row-sum", "the softmax denominator summed in bf16: the running sum stalls at 256",
                        "https://github.com/pytorch/executorch/pull/20090 (bf16 softmax sum saturates around 256);"
                                + " https://github.com/huggingface/candle/issues/3727",
                        Flaw.BF16_ROW_SUM, BF16, "outside the tolerance model"),
                m("fp16-unscaled-scores", "q.k held in an fp16 score buffer before the scale: digits lost, and inf"
                                + " past 65504",
                        "https://github.com/pytorch/pytorch/pull/60940 (fp16 attention scores overflow to inf);"
                                + " ONNX Runtime 1.29's CPU Attention in fp16 gives NaN there (docs/precision.md)",
                        Flaw.FP16_UNSCALED_SCORES, FP16, null),
                m("half-accumulation", "q.k and P.V accumulated in fp16 while the backend claims fp32 accumulation",
                        "https://github.com/sonos/tract/pull/2586 (f16 softmax row sum accumulated in f16)",
                        Flaw.HALF_ACCUMULATION, FP16, "outside the tolerance model"),
                m("fp8-descale-twice", "an fp8 KV cache whose descale is applied twice (once when dequantising, once"
                                + " on the scores and outputs)",
                        "https://github.com/vllm-project/vllm-xpu-kernels/pull/475 (fp8 KV cache: wrong scale"
                                + " direction)",
                        Flaw.DESCALE_TWICE, FP8_CACHE, "outside the tolerance model"),
                m("fp8-kv-descales-swapped", "K dequantised with V's descale and V with K's",
                        "https://github.com/sgl-project/sglang/pull/26852 (v_descale falling back to k_scale)",
                        Flaw.KV_DESCALES_SWAPPED, FP8_CACHE, "outside the tolerance model"),
                m("fp8-descale-ignored", "the fp8 KV cache's descale ignored: stored values used as they are",
                        "https://github.com/sgl-project/sglang/pull/20705 (KV cache fp8 scales silently ignored,"
                                + " falling back to 1.0)",
                        Flaw.DESCALE_IGNORED, FP8_CACHE, "outside the tolerance model"));
    }

    private static Mutant m(String id, String description, String reportedAt, Flaw flaw, TensorTypes types,
                            String phrase) {
        return new Mutant(id, description, reportedAt, SOFTMAX, () -> new Flawed("mutant-" + id, flaw, types), S7,
                phrase);
    }

    enum Flaw { BF16_ROW_SUM, FP16_UNSCALED_SCORES, HALF_ACCUMULATION, DESCALE_TWICE, KV_DESCALES_SWAPPED, DESCALE_IGNORED }

    /** The core features the loop implements (every masking and shape option; no layer, no cache). */
    private static final Set<Feature> FEATURES = EnumSet.of(Feature.GROUPED_QUERY_HEADS, Feature.DISTINCT_VALUE_DIM,
            Feature.CUSTOM_SCALE, Feature.SOFTCAP, Feature.BOOLEAN_MASK, Feature.ADDITIVE_MASK, Feature.KEY_PADDING,
            Feature.CAUSAL, Feature.SLIDING_WINDOW, Feature.STRIDED_LAYOUT);

    static final class Flawed implements AttentionBackend {
        private final String name;
        private final Flaw flaw;
        private final Capabilities capabilities;

        Flawed(String name, Flaw flaw, TensorTypes types) {
            this.name = name;
            this.flaw = flaw;
            this.capabilities = new Capabilities(FEATURES, Precision.FP32, Set.of(types));
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Capabilities capabilities() {
            return capabilities;
        }

        @Override
        public void attention(AttentionProblem problem, Tensor out) {
            capabilities.require(name, problem, out);
            problem.requireOutput(out);
            AttentionSpec spec = problem.spec();
            Tensor q = problem.query(), k = problem.key(), v = problem.value();
            MaskView mask = problem.maskView();
            double scale = spec.effectiveScale(), cap = spec.softcap();
            int skv = spec.kvLength();
            for (int b = 0; b < spec.batch(); b++) {
                for (int h = 0; h < spec.qHeads(); h++) {
                    int kvh = spec.kvHeadOf(h);
                    for (int i = 0; i < spec.qLength(); i++) {
                        double[] e = new double[skv];
                        boolean[] visible = new boolean[skv];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < skv; j++) {
                            visible[j] = mask.visible(b, h, i, j);
                            if (!visible[j]) continue;
                            double dot = 0;
                            for (int d = 0; d < spec.qkHeadDim(); d++) {
                                dot = acc(dot + q.value(b, h, i, d) * read(k, v, true, b, kvh, j, d));
                            }
                            if (flaw == Flaw.FP16_UNSCALED_SCORES) dot = ElementType.FP16.round(dot);
                            double s = (float) (dot * scale);
                            if (cap != 0) s = (float) (cap * Math.tanh(s / cap));
                            e[j] = s + mask.bias(b, h, i, j);
                            max = Math.max(max, e[j]);
                        }
                        double z = 0;
                        for (int j = 0; j < skv; j++) {
                            if (!visible[j]) continue;
                            e[j] = (float) Math.exp(e[j] - max);
                            z = flaw == Flaw.BF16_ROW_SUM ? ElementType.BF16.round(z + e[j]) : acc(z + e[j]);
                        }
                        for (int d = 0; d < spec.vHeadDim(); d++) {
                            double o = 0;
                            for (int j = 0; j < skv; j++) {
                                if (visible[j]) o = acc(o + e[j] * read(k, v, false, b, kvh, j, d));
                            }
                            out.set((float) (z == 0 ? 0 : o / z), b, h, i, d);
                        }
                    }
                }
            }
        }

        /** One accumulation step: fp32, or fp16 for the half-accumulation flaw. */
        private double acc(double x) {
            return flaw == Flaw.HALF_ACCUMULATION ? ElementType.FP16.round(x) : (float) x;
        }

        /** Element (b, h, j, d) of K (key) or V, dequantised as the flaw has it. */
        private double read(Tensor k, Tensor v, boolean key, int b, int h, int j, int d) {
            Tensor t = key ? k : v;
            if (!t.type().isFp8()) return t.value(b, h, j, d);
            Descale own = t.descale(), other = (key ? v : k).descale();
            double stored = t.value(b, h, j, d) / own.factor(b, h);
            return switch (flaw) {
                case DESCALE_TWICE -> stored * own.factor(b, h) * own.factor(b, h);
                case KV_DESCALES_SWAPPED -> stored * other.factor(b, h);
                case DESCALE_IGNORED -> stored;
                default -> stored * own.factor(b, h);
            };
        }
    }
}
