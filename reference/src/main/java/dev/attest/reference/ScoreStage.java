package dev.attest.reference;

/**
 * Which attention scores a call also returns: ONNX {@code Attention}'s {@code qk_matmul_output} at its
 * {@code qk_matmul_output_mode}. Every stage has shape (B, Hq, Sq, Skv), one value per query and key:
 *
 * <pre>
 *   LOGITS         mode 0   s = (q . k) * scale                       for every key, hidden or not
 *   SOFTCAPPED     mode 1   c tanh(s / c)  (= LOGITS without softcap)  for every key, hidden or not
 *   BIASED         mode 2   the softcapped logit + the additive mask; -inf where the key is hidden (causal,
 *                           window, key padding, a false boolean mask): what the softmax reads
 *   PROBABILITIES  mode 3   the softmax of BIASED over the keys: 0 where hidden, a row that sees no key all 0
 * </pre>
 */
public enum ScoreStage {
    LOGITS, SOFTCAPPED, BIASED, PROBABILITIES;

    /** ONNX's {@code qk_matmul_output_mode} of this stage. */
    public int onnxMode() {
        return ordinal();
    }

    /** The stage of ONNX's {@code qk_matmul_output_mode}, naming the value when it is not 0 to 3. */
    public static ScoreStage ofOnnxMode(int mode) {
        InvalidProblemException.require(mode >= 0 && mode < values().length,
                "qk_matmul_output_mode must be 0, 1, 2 or 3, was %d", mode);
        return values()[mode];
    }
}
