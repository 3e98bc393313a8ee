package dev.attest.backends.kernels;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.AuxiliaryOutputs;
import dev.attest.reference.MaskView;
import dev.attest.reference.Tensor;

/**
 * The auxiliary outputs the textbook way, in fp32 (cpu-naive's and cpu-batched's; cpu-tiled's scores): per row, the
 * logits of every key (q·k in key order, times the scale, softcapped), the mask, then what was asked —
 * {@code lse = max + ln sum exp(s - max)} over the visible keys, the scores at their stage.
 */
public final class AuxiliaryRows {
    private AuxiliaryRows() {
    }

    /** Writes {@code aux}'s log-sum-exp when {@code lse} and its scores when {@code scores}. */
    public static void write(AttentionProblem problem, AuxiliaryOutputs aux, boolean lse, boolean scores) {
        AttentionSpec spec = problem.spec();
        MaskView mask = problem.maskView();
        int skv = spec.kvLength(), dqk = spec.qkHeadDim();
        float scale = (float) spec.effectiveScale(), cap = (float) spec.softcap();
        Tensor q = problem.query(), k = problem.key();
        float[] raw = new float[skv], capped = new float[skv], biased = new float[skv];
        for (int b = 0; b < spec.batch(); b++) {
            for (int h = 0; h < spec.qHeads(); h++) {
                int g = spec.kvHeadOf(h);
                for (int i = 0; i < spec.qLength(); i++) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < skv; j++) {
                        float dot = 0f;
                        for (int d = 0; d < dqk; d++) dot += q.get(b, h, i, d) * k.get(b, g, j, d);
                        raw[j] = dot * scale;
                        capped[j] = cap != 0 ? (float) (cap * Math.tanh(raw[j] / cap)) : raw[j];
                        biased[j] = !mask.visible(b, h, i, j) ? Float.NEGATIVE_INFINITY
                                : mask.hasBias() ? capped[j] + mask.bias(b, h, i, j) : capped[j];
                        if (biased[j] > max || Float.isNaN(biased[j])) max = biased[j];
                    }
                    float sum = 0f;
                    if (max != Float.NEGATIVE_INFINITY) {
                        for (int j = 0; j < skv; j++) {
                            if (biased[j] != Float.NEGATIVE_INFINITY) sum += (float) Math.exp(biased[j] - max);
                        }
                    }
                    if (lse) {
                        aux.logSumExp().set(max == Float.NEGATIVE_INFINITY ? Float.NEGATIVE_INFINITY
                                : max + (float) Math.log(sum), b, h, i);
                    }
                    if (!scores) continue;
                    for (int j = 0; j < skv; j++) {
                        float value = switch (aux.stage()) {
                            case LOGITS -> raw[j];
                            case SOFTCAPPED -> capped[j];
                            case BIASED -> biased[j];
                            case PROBABILITIES -> max == Float.NEGATIVE_INFINITY || biased[j] == Float.NEGATIVE_INFINITY
                                    ? 0f : (float) Math.exp(biased[j] - max) / sum;
                        };
                        aux.scores().set(value, b, h, i, j);
                    }
                }
            }
        }
    }

    /** Both, as asked by {@code aux}. */
    public static void write(AttentionProblem problem, AuxiliaryOutputs aux) {
        write(problem, aux, aux.logSumExp() != null, aux.scores() != null);
    }
}
