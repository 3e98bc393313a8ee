package dev.attest.spi;

import java.util.EnumSet;
import java.util.Set;

import dev.attest.linear.LinearProblem;
import dev.attest.linear.LinearSpec;

/**
 * Contract features of linear attention a {@link LinearAttentionBackend} may declare (besides its update rules and
 * feature-map kinds, which {@link LinearCapabilities} lists separately).
 */
public enum LinearFeature {
    /** Causal form: token t reads the state up to and including t. */
    CAUSAL,
    /** Non-causal (parallel) form: every token reads the state after all tokens. */
    NON_CAUSAL,
    /** {@code o = Sᵀφ(q) / zᵀφ(q)}. */
    NORMALIZED,
    /** {@code o = scale · Sᵀφ(q)} (ONNX LinearAttention). */
    UNNORMALIZED,
    /** Continuing from a carried {@link dev.attest.linear.LinearState} (split-and-resume, decoding). */
    INITIAL_STATE,
    /** Hq > Hkv. */
    GROUPED_QUERY_HEADS;

    /** The features a problem needs. */
    public static Set<LinearFeature> requiredBy(LinearProblem problem) {
        LinearSpec s = problem.spec();
        Set<LinearFeature> f = EnumSet.of(s.causal() ? CAUSAL : NON_CAUSAL, s.normalized() ? NORMALIZED : UNNORMALIZED);
        if (problem.initialState() != null) f.add(INITIAL_STATE);
        if (s.qHeads() != s.kvHeads()) f.add(GROUPED_QUERY_HEADS);
        return f;
    }
}
