package dev.attest.linear;

import java.util.Locale;

import static dev.attest.reference.InvalidProblemException.require;
import static dev.attest.reference.InvalidProblemException.requirePositive;

/**
 * Shapes and options of one linear-attention call.
 *
 * <pre>
 *   Q (B, Hq, S, Dk)   K (B, Hkv, S, Dk)   V (B, Hkv, S, Dv)   gates, betas (B, Hkv, S)   out (B, Hq, S, Dv)
 *   state: S (B, Hkv, F, Dv), z (B, Hkv, F) when normalised;  F = featureMap.outputDim()
 * </pre>
 * Query head h reads the state of kv head {@code h / (Hq/Hkv)} (repeat-interleave, as in softmax attention).
 *
 * <p>Normalised (Katharopoulos et al. 2020): {@code o_t = S_tᵀφ(q_t) / z_tᵀφ(q_t)}, the linear analogue of the
 * softmax. Unnormalised (ONNX {@code LinearAttention}): {@code o_t = scale · S_tᵀφ(q_t)}, scale defaulting to
 * {@code 1/√Dk}. Causal: {@code S_t} holds tokens up to and including t (after any carried state); non-causal: every
 * query reads the state after all tokens (only the {@code LINEAR} rule has that form).
 *
 * @param scale the unnormalised output scale, or NaN for the default {@code 1/√Dk}
 */
public record LinearSpec(int batch, int qHeads, int kvHeads, int length, int kDim, int vDim, boolean causal,
                         FeatureMap featureMap, UpdateRule rule, boolean normalized, double scale) {

    public LinearSpec {
        requirePositive("B (batch)", batch);
        requirePositive("Hq (query heads)", qHeads);
        requirePositive("Hkv (key/value heads)", kvHeads);
        requirePositive("S (sequence length)", length);
        requirePositive("Dk (key head dimension)", kDim);
        requirePositive("Dv (value head dimension)", vDim);
        require(qHeads % kvHeads == 0, "Hq (%d) must be a multiple of Hkv (%d)", qHeads, kvHeads);
        require(featureMap != null && rule != null, "a linear spec needs a feature map and an update rule");
        require(featureMap.inputDim() == kDim, "feature map input width disagrees: the map takes %d but Dk is %d",
                featureMap.inputDim(), kDim);
        require(!normalized || rule == UpdateRule.LINEAR,
                "a normalised output needs the LINEAR update rule, not %s (z = Σ φ(k) has no gated or delta form)", rule);
        require(causal || rule == UpdateRule.LINEAR,
                "the non-causal form needs the LINEAR update rule, not %s (gates and deltas are order-dependent)", rule);
        require(Double.isNaN(scale) || Double.isFinite(scale), "scale must be finite, was %s", scale);
    }

    /** A causal or non-causal spec with the default scale. */
    public static LinearSpec of(int batch, int qHeads, int kvHeads, int length, int kDim, int vDim, boolean causal,
                                FeatureMap map, UpdateRule rule, boolean normalized) {
        return new LinearSpec(batch, qHeads, kvHeads, length, kDim, vDim, causal, map, rule, normalized, Double.NaN);
    }

    /** F, the number of features: the state's row count. */
    public int features() {
        return featureMap.outputDim();
    }

    public int groupSize() {
        return qHeads / kvHeads;
    }

    public int kvHeadOf(int queryHead) {
        return queryHead / groupSize();
    }

    public double effectiveScale() {
        return Double.isNaN(scale) ? 1 / Math.sqrt(kDim) : scale;
    }

    public LinearSpec withLength(int newLength) {
        return new LinearSpec(batch, qHeads, kvHeads, newLength, kDim, vDim, causal, featureMap, rule, normalized, scale);
    }

    public LinearSpec withHeads(int newQHeads, int newKvHeads) {
        return new LinearSpec(batch, newQHeads, newKvHeads, length, kDim, vDim, causal, featureMap, rule, normalized,
                scale);
    }

    public LinearSpec withFeatureMap(FeatureMap map) {
        return new LinearSpec(batch, qHeads, kvHeads, length, kDim, vDim, causal, map, rule, normalized, scale);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "B=%d Hq=%d Hkv=%d S=%d Dk=%d Dv=%d %s %s %s map=%s%s", batch, qHeads,
                kvHeads, length, kDim, vDim, causal ? "causal" : "non-causal", rule, normalized ? "normalised"
                        : "unnormalised", featureMap.describe(), Double.isNaN(scale) ? "" : " scale=" + scale);
    }
}
