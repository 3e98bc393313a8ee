package dev.attest.properties.linear;

/**
 * Stable ids for the clauses of linear attention (DESIGN.md "Semantics", the "Linear attention" bullet) that the
 * linear properties check; a property's name carries the id ({@code required_L3_...}).
 */
public enum LinearClause {
    L1("Definition", "o_t = S_tᵀφ(q_t) / z_tᵀφ(q_t) (normalised) or scale·S_tᵀφ(q_t), S and z under the ONNX "
            + "LinearAttention update rules, agreeing with the high-precision oracle within the tolerance model"),
    L2("State", "the returned state is S = Σ φ(k)vᵀ (under the rule) and z = Σ φ(k): the cache for decoding"),
    L3("Forms agree", "parallel, prefix-sum, chunked (any chunk size) and recurrent forms compute the same function"),
    L4("Split and resume", "running tokens in pieces, carrying the state, equals one call; a decode step with state "
            + "equals full causal"),
    L5("Grouped heads", "query head h reads the state of kv head h/(Hq/Hkv)"),
    L6("Normaliser", "for positive feature maps the normaliser zᵀφ(q) is never zero; outputs are convex combinations "
            + "of values"),
    L7("Backend contract", "a misfit state or an undeclared feature is refused with a clear error before writing"),
    F1("FAVOR+ estimator", "positive random features give an unbiased estimate of exp(xᵀy) with the MSE of Lemma 2 "
            + "(Choromanski et al., ICLR 2021); orthogonal features do better than i.i.d. ones"),
    A1("Approximation of softmax", "the FAVOR+ linear-attention output approaches softmax attention as m grows");

    private final String title;
    private final String text;

    LinearClause(String title, String text) {
        this.title = title;
        this.text = text;
    }

    /** E.g. {@code DESIGN.md linear L4 (Split and resume): ...}. */
    public String cite() {
        return "DESIGN.md linear " + name() + " (" + title + "): " + text;
    }
}
