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
        int hq = spec.qHeads(), hkv = spec.kvHeads(), sq = spec.qLength(), skv = spec.kvLength(), dqk = spec.qkHeadDim();
        float scale = (float) spec.effectiveScale(), cap = (float) spec.softcap();
        // Q and K widened once, row-major (B, H, S, D), whatever their type and layout
        float[] q = problem.query().toArray(), k = problem.key().toArray();
        float[] lses = lse ? new float[spec.batch() * hq * sq] : null;
        float[] all = scores ? new float[spec.batch() * hq * sq * skv] : null;
        float[] raw = new float[skv], capped = new float[skv], biased = new float[skv];
        for (int b = 0, row = 0; b < spec.batch(); b++) {
            for (int h = 0; h < hq; h++) {
                int g = spec.kvHeadOf(h);
                for (int i = 0; i < sq; i++, row++) {
                    int qAt = row * dqk;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < skv; j++) {
                        int kAt = ((b * hkv + g) * skv + j) * dqk;
                        float dot = 0f;
                        for (int d = 0; d < dqk; d++) dot += q[qAt + d] * k[kAt + d];
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
                    if (lse) lses[row] = max == Float.NEGATIVE_INFINITY ? Float.NEGATIVE_INFINITY : max + (float) Math.log(sum);
                    if (!scores) continue;
                    for (int j = 0; j < skv; j++) {
                        all[row * skv + j] = switch (aux.stage()) {
                            case LOGITS -> raw[j];
                            case SOFTCAPPED -> capped[j];
                            case BIASED -> biased[j];
                            case PROBABILITIES -> max == Float.NEGATIVE_INFINITY || biased[j] == Float.NEGATIVE_INFINITY
                                    ? 0f : (float) Math.exp(biased[j] - max) / sum;
                        };
                    }
                }
            }
        }
        if (lse) aux.logSumExp().copyFrom(Tensor.of(lses, spec.batch(), hq, sq));
        if (scores) aux.scores().copyFrom(Tensor.of(all, spec.batch(), hq, sq, skv));
    }

    /** Both, as asked by {@code aux}. */
    public static void write(AttentionProblem problem, AuxiliaryOutputs aux) {
        write(problem, aux, aux.logSumExp() != null, aux.scores() != null);
    }
}
