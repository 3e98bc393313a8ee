package dev.attest.linear;

/**
 * How the recurrent state {@code S} (F × Dv) absorbs token t, with {@code k_t = φ(key_t)}: the four update rules of
 * the ONNX {@code LinearAttention} operator as the Attest issue states them, in the convention of Gated DeltaNet
 * (Yang, Kautz, Hatamizadeh, "Gated Delta Networks", ICLR 2025) and flash-linear-attention: state rows indexed by key
 * features, the output {@code o_t = scale · S_tᵀ q_t} read <em>after</em> the update, scale {@code 1/√Dk} by default.
 * (The operator's own text was not at hand when this was written: its attribute names, default scale and gate
 * parameterisation — g given directly, not as {@code exp(log g)} — should be confirmed against
 * {@code onnx/docs/Operators.md}.)
 *
 * <pre>
 *   LINEAR       S_t = S_{t-1} + k_t v_tᵀ
 *   GATED        S_t = g_t S_{t-1} + k_t v_tᵀ                                 (g_t: a decay in (0, 1])
 *   DELTA        S_t = S_{t-1} + β_t k_t (v_t − S_{t-1}ᵀ k_t)ᵀ                 (β_t: a write strength)
 *   GATED_DELTA  S_t = g_t S_{t-1} + β_t k_t (v_t − g_t S_{t-1}ᵀ k_t)ᵀ
 * </pre>
 * Only {@code LINEAR} has a non-causal (parallel) form and a normaliser {@code z_t = z_{t-1} + k_t}.
 */
public enum UpdateRule {
    LINEAR(false, false), GATED(true, false), DELTA(false, true), GATED_DELTA(true, true);

    private final boolean gated, delta;

    UpdateRule(boolean gated, boolean delta) {
        this.gated = gated;
        this.delta = delta;
    }

    /** Whether the rule reads the per-token gates {@code g}. */
    public boolean gated() {
        return gated;
    }

    /** Whether the rule reads the per-token write strengths {@code β}. */
    public boolean delta() {
        return delta;
    }
}
