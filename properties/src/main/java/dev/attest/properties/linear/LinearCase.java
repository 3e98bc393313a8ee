package dev.attest.properties.linear;

import java.util.SplittableRandom;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.linear.LinearSpec;
import dev.attest.linear.LinearState;
import dev.attest.linear.UpdateRule;
import dev.attest.reference.Tensor;
import dev.attest.spi.LinearCapabilities;
import dev.attest.spi.LinearFeature;

/**
 * One generated linear-attention case: dimensions, options and a data seed; {@link #materialize} builds the problem.
 * Data: Q, K, V uniform in [-1, 1] (keys scaled by 1/√Dk for the delta rules, so that β‖k‖² ≤ 1 and the delta update
 * is a contraction, as with the L2-normalised keys of DeltaNet), gates uniform in [0.5, 1], betas in [0, 1]; a carried
 * state has S uniform in [-0.5, 0.5] and z uniform in [0.5, 2].
 */
public record LinearCase(int batch, int qHeads, int kvHeads, int length, int kDim, int vDim, boolean causal,
                         FeatureMap.Kind map, boolean orthogonal, int randomFeatures, UpdateRule rule,
                         boolean normalized, boolean withState, long dataSeed) {

    /** Whether a backend with {@code caps} declares everything this case needs (and the case is well-posed). */
    public boolean fits(LinearCapabilities caps) {
        if (!caps.rules().contains(rule) || !caps.maps().contains(map)) return false;
        if (!caps.supports(causal ? LinearFeature.CAUSAL : LinearFeature.NON_CAUSAL)) return false;
        if (!causal && rule != UpdateRule.LINEAR) return false;
        if (!caps.supports(normalized ? LinearFeature.NORMALIZED : LinearFeature.UNNORMALIZED)) return false;
        // normalised outputs use strictly positive maps only: with trig or ReLU features the denominator can vanish
        if (normalized && (rule != UpdateRule.LINEAR || !(map == FeatureMap.Kind.ELU_PLUS_ONE
                || map == FeatureMap.Kind.FAVOR_POSITIVE))) return false;
        if (rule.delta() && map != FeatureMap.Kind.IDENTITY) return false;
        if (withState && !caps.supports(LinearFeature.INITIAL_STATE)) return false;
        if (qHeads != kvHeads && !caps.supports(LinearFeature.GROUPED_QUERY_HEADS)) return false;
        return qHeads % kvHeads == 0;
    }

    /** The work of the case, B·Hq·S²·max(Dk, Dv): the engine's size measure. */
    public long measure() {
        return (long) batch * qHeads * length * length * Math.max(kDim, vDim);
    }

    public FeatureMap featureMap() {
        long seed = dataSeed * 0x9E3779B97F4A7C15L + 17;
        return switch (map) {
            case IDENTITY -> new FeatureMap.Identity(kDim);
            case ELU_PLUS_ONE -> new FeatureMap.EluPlusOne(kDim);
            case RELU -> new FeatureMap.Relu(kDim);
            case FAVOR_POSITIVE -> FeatureMap.favorPositive(kDim, randomFeatures, seed, orthogonal);
            case FAVOR_TRIG -> FeatureMap.favorTrig(kDim, randomFeatures, seed, orthogonal);
        };
    }

    public LinearSpec spec() {
        return LinearSpec.of(batch, qHeads, kvHeads, length, kDim, vDim, causal, featureMap(), rule, normalized);
    }

    public LinearProblem materialize() {
        LinearSpec spec = spec();
        SplittableRandom random = new SplittableRandom(dataSeed);
        Tensor q = uniform(random, -1, 1, batch, qHeads, length, kDim);
        Tensor k = uniform(random, -1, 1, batch, kvHeads, length, kDim);
        if (rule.delta()) {
            float c = (float) (1 / Math.sqrt(kDim));
            k.forEachIndex(i -> k.data()[i] *= c);
        }
        Tensor v = uniform(random, -1, 1, batch, kvHeads, length, vDim);
        Tensor gates = rule.gated() ? uniform(random, 0.5, 1, batch, kvHeads, length) : null;
        Tensor betas = rule.delta() ? uniform(random, 0, 1, batch, kvHeads, length) : null;
        LinearState state = null;
        if (withState) {
            Tensor s = uniform(random, -0.5, 0.5, batch, kvHeads, spec.features(), vDim);
            Tensor z = normalized ? uniform(random, 0.5, 2, batch, kvHeads, spec.features()) : null;
            state = new LinearState(s, z, 1 + random.nextInt(9));
        }
        return new LinearProblem(spec, q, k, v, gates, betas, state);
    }

    static Tensor uniform(SplittableRandom random, double lo, double hi, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) (lo + (hi - lo) * random.nextDouble());
        return t;
    }

    public LinearCase withDims(int b, int hq, int hkv, int s, int dk, int dv) {
        return new LinearCase(b, hq, hkv, s, dk, dv, causal, map, orthogonal, randomFeatures, rule, normalized,
                withState, dataSeed);
    }

    public LinearCase withOptions(boolean newCausal, boolean newNormalized, boolean newWithState) {
        return new LinearCase(batch, qHeads, kvHeads, length, kDim, vDim, newCausal, map, orthogonal, randomFeatures,
                rule, newNormalized, newWithState, dataSeed);
    }

    public LinearCase withMap(FeatureMap.Kind newMap, boolean newOrthogonal, int newFeatures) {
        return new LinearCase(batch, qHeads, kvHeads, length, kDim, vDim, causal, newMap, newOrthogonal, newFeatures,
                rule, normalized, withState, dataSeed);
    }

    @Override
    public String toString() {
        return spec() + (withState ? " +state" : "") + " data=" + dataSeed;
    }
}
