package dev.attest.reference;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * What an attention call returns besides its output, each optional ({@code null}: not asked for), both fp32:
 *
 * <pre>
 *   logSumExp (B, Hq, Sq)       ln sum_j exp(s_j) over the keys row i sees, s_j the logits the softmax reads
 *                               (scaled, softcapped, + the additive mask); -inf for a row that sees no key.
 *                               What FlashAttention returns (softmax_lse) and a split-KV decode combines:
 *                               out = sum_parts exp(lse_part - lse) out_part, lse = ln sum_parts exp(lse_part)
 *   scores    (B, Hq, Sq, Skv)  the scores at {@code stage} ({@link ScoreStage}: ONNX qk_matmul_output)
 * </pre>
 * FlashAttention writes +inf as the LSE of a row without keys (so that its combine gives it weight 0 either way);
 * the contract says -inf, the logarithm of an empty sum, which gives weight 0 in the combine above.
 */
public record AuxiliaryOutputs(Tensor logSumExp, Tensor scores, ScoreStage stage) {

    public AuxiliaryOutputs {
        require(scores == null || stage != null, "attention scores need their stage (ONNX qk_matmul_output_mode)");
    }

    /** Only the log-sum-exp, into {@code lse} (B, Hq, Sq). */
    public static AuxiliaryOutputs logSumExp(Tensor lse) {
        return new AuxiliaryOutputs(lse, null, null);
    }

    /** Only the scores at {@code stage}, into {@code scores} (B, Hq, Sq, Skv). */
    public static AuxiliaryOutputs scores(Tensor scores, ScoreStage stage) {
        return new AuxiliaryOutputs(null, scores, stage);
    }

    /** Fresh NaN-filled tensors for what {@code problem} would return, as asked. */
    public static AuxiliaryOutputs allocate(AttentionSpec spec, boolean lse, ScoreStage stage) {
        return new AuxiliaryOutputs(lse ? Tensor.zeros(spec.batch(), spec.qHeads(), spec.qLength()).fill(Float.NaN) : null,
                stage == null ? null : Tensor.zeros(spec.batch(), spec.qHeads(), spec.qLength(), spec.kvLength())
                        .fill(Float.NaN), stage);
    }

    public boolean isEmpty() {
        return logSumExp == null && scores == null;
    }

    /** Checks the tensors against {@code spec}: fp32, (B, Hq, Sq) and (B, Hq, Sq, Skv), naming the axis. */
    public void requireMatches(AttentionSpec spec) {
        if (logSumExp != null) {
            requireShape("log-sum-exp", logSumExp, new int[]{spec.batch(), spec.qHeads(), spec.qLength()},
                    new String[]{"B", "Hq", "Sq"});
        }
        if (scores != null) {
            requireShape("scores", scores, new int[]{spec.batch(), spec.qHeads(), spec.qLength(), spec.kvLength()},
                    new String[]{"B", "Hq", "Sq", "Skv"});
        }
    }

    private static void requireShape(String name, Tensor t, int[] want, String[] axes) {
        require(t.type() == ElementType.FP32, "the %s tensor must be fp32, was %s", name, t.type());
        require(t.rank() == want.length, "the %s tensor must have shape %s %s, got %s", name, Arrays.toString(axes),
                Arrays.toString(want), Arrays.toString(t.shape()));
        for (int a = 0; a < want.length; a++) {
            require(t.dim(a) == want[a], "the %s tensor's axis %d (%s) is %d but the problem has %s = %d", name, a,
                    axes[a], t.dim(a), axes[a], want[a]);
        }
    }
}
