package dev.attest.faults;

import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AuxiliaryOutputs;
import dev.attest.reference.MaskView;
import dev.attest.reference.Precision;
import dev.attest.reference.ScoreStage;
import dev.attest.reference.Tensor;
import dev.attest.spi.Capabilities;
import dev.attest.spi.CheckedBackend;

import java.util.List;
import java.util.Locale;

import static dev.attest.faults.Mutant.Kit.SOFTMAX;

/**
 * Planted bugs of the auxiliary outputs (S12): cpu-naive's output, and its log-sum-exp and scores with one mistake
 * a kernel author makes. The output itself is right, so only the S12 properties can see them.
 */
final class AuxiliaryMutants {
    private AuxiliaryMutants() {
    }

    static List<Mutant> catalog() {
        return List.of(
                new Mutant("lse-base-2", "the log-sum-exp returned in base 2 (log2 sum 2^(s log2 e)), as the kernel's"
                        + " exp2 trick computes it internally, never converted back to the natural log",
                        "https://github.com/lightseekorg/tokenspeed/pull/571 (base-2 LSE from an exp2 prefill);"
                                + " https://github.com/flashinfer-ai/flashinfer/issues/4485 (backends returning LSE in"
                                + " different bases)", SOFTMAX, () -> new Planted(Bug.LSE_BASE_2),
                        "required_S12_the_log_sum_exp_agrees_with_the_oracle", "log-sum-exp output outside the tolerance model"),
                new Mutant("scores-softcap-after-mask", "softcap applied after the mask: a hidden key's biased score"
                        + " becomes -softcap instead of -inf (qk_matmul_output mode 2)",
                        "https://github.com/onnx/onnx/blob/main/onnx/reference/ops/op_attention.py (softcap must come"
                                + " before the mask so that -inf stays -inf)", SOFTMAX,
                        () -> new Planted(Bug.SOFTCAP_AFTER_MASK),
                        "required_S12_attention_scores_at_each_onnx_stage_agree_with_the_oracle", "an infinity where"),
                new Mutant("probabilities-of-an-empty-row-uniform", "a row that sees no key gets probabilities 1/Skv"
                        + " (mode 3 taken before the fully-masked-row guard) instead of zeros",
                        "https://github.com/microsoft/onnxruntime/pull/28958 (fully-masked rows gave mean-of-V instead"
                                + " of zero); onnx/reference/ops/op_attention.py (mode 3 after the guard)", SOFTMAX,
                        () -> new Planted(Bug.UNIFORM_EMPTY_ROW),
                        "required_S12_attention_scores_at_each_onnx_stage_agree_with_the_oracle",
                        "probability is not exactly 0"));
    }

    enum Bug { LSE_BASE_2, SOFTCAP_AFTER_MASK, UNIFORM_EMPTY_ROW }

    /** cpu-naive with its auxiliary outputs carrying {@code bug}. */
    static final class Planted extends CheckedBackend {
        private final CpuNaiveBackend correct = new CpuNaiveBackend();
        private final Bug bug;

        Planted(Bug bug) {
            super("mutant-" + bug.name().toLowerCase(Locale.ROOT).replace('_', '-'), "cpu-naive whose auxiliary "
                    + "outputs carry " + bug, Capabilities.everything(Precision.FP32));
            this.bug = bug;
        }

        @Override
        protected void computeAttention(AttentionProblem problem, Tensor out) {
            correct.attention(problem, out);
        }

        // everything else is cpu-naive's, so that only the auxiliary outputs can give the bug away

        @Override
        protected void computeLayer(dev.attest.reference.LayerProblem problem, Tensor out) {
            correct.layer(problem, out);
        }

        @Override
        protected dev.attest.spi.KvCache createCache(dev.attest.reference.cache.CacheSpec spec,
                                                     dev.attest.reference.LayerWeights weights) {
            return weights == null ? correct.openCache(spec) : correct.openLayerCache(spec, weights);
        }

        @Override
        protected void computeAttention(AttentionProblem problem, Tensor out, AuxiliaryOutputs aux) {
            correct.attention(problem, out, aux);
            MaskView mask = problem.maskView();
            var s = problem.spec();
            for (int b = 0; b < s.batch(); b++)
                for (int h = 0; h < s.qHeads(); h++)
                    for (int i = 0; i < s.qLength(); i++) {
                        if (bug == Bug.LSE_BASE_2 && aux.logSumExp() != null) {
                            float lse = aux.logSumExp().get(b, h, i);
                            aux.logSumExp().set((float) (lse / Math.log(2)), b, h, i);
                        }
                        if (aux.scores() == null) continue;
                        boolean empty = true;
                        for (int j = 0; j < s.kvLength(); j++) empty &= !mask.visible(b, h, i, j);
                        for (int j = 0; j < s.kvLength(); j++) {
                            boolean hidden = !mask.visible(b, h, i, j);
                            if (bug == Bug.SOFTCAP_AFTER_MASK && aux.stage() == ScoreStage.BIASED && hidden
                                    && s.softcap() != 0) {
                                aux.scores().set((float) -s.softcap(), b, h, i, j);
                            }
                            if (bug == Bug.UNIFORM_EMPTY_ROW && aux.stage() == ScoreStage.PROBABILITIES && empty) {
                                aux.scores().set(1f / s.kvLength(), b, h, i, j);
                            }
                        }
                    }
        }
    }
}
