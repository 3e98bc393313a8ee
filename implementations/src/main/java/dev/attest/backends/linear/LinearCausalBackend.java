package dev.attest.backends.linear;

import java.util.EnumSet;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.linear.LinearSpec;
import dev.attest.linear.LinearState;
import dev.attest.linear.UpdateRule;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.spi.CheckedLinearBackend;
import dev.attest.spi.LinearCapabilities;
import dev.attest.spi.LinearFeature;

/**
 * {@code linear-causal}: the causal prefix-sum form (Katharopoulos et al. 2020, eq. 11): first every token's outer
 * product {@code φ(k_t) v_tᵀ} and {@code φ(k_t)}, then one inclusive prefix sum over t, then each query reads its
 * prefix. Memory O(S·F·Dv); the LINEAR rule only. Default feature map: ELU+1.
 */
public final class LinearCausalBackend extends CheckedLinearBackend {

    public LinearCausalBackend() {
        super("linear-causal", "causal prefix-sum form (scan of phi(k) v^T), linear rule, fp32",
                new LinearCapabilities(EnumSet.of(LinearFeature.CAUSAL, LinearFeature.NORMALIZED,
                        LinearFeature.UNNORMALIZED, LinearFeature.INITIAL_STATE, LinearFeature.GROUPED_QUERY_HEADS),
                        EnumSet.of(UpdateRule.LINEAR), EnumSet.allOf(FeatureMap.Kind.class), Precision.FP32));
    }

    @Override
    public FeatureMap defaultFeatureMap(int kDim) {
        return new FeatureMap.EluPlusOne(kDim);
    }

    @Override
    protected LinearState compute(LinearProblem p, Tensor out) {
        LinearSpec spec = p.spec();
        LinearState next = LinearKernels.newState(p);
        int f = spec.features(), dv = spec.vDim(), n = spec.length();
        for (int b = 0; b < spec.batch(); b++) {
            for (int g = 0; g < spec.kvHeads(); g++) {
                float[][] phiK = LinearKernels.featureRows(spec.featureMap(), p.key(), b, g, n, false);
                // 1. per-token terms, 2. inclusive prefix sum seeded with the carried state
                float[][][] prefixS = new float[n][f][dv];
                float[][] prefixZ = new float[n][f];
                for (int t = 0; t < n; t++) {
                    float[] v = LinearKernels.row(p.value(), b, g, t);
                    for (int i = 0; i < f; i++) {
                        for (int e = 0; e < dv; e++) prefixS[t][i][e] = phiK[t][i] * v[e];
                        prefixZ[t][i] = phiK[t][i];
                    }
                }
                float[][] s0 = LinearKernels.initialS(p, b, g);
                float[] z0 = LinearKernels.initialZ(p, b, g);
                for (int t = 0; t < n; t++) {
                    float[][] before = t == 0 ? s0 : prefixS[t - 1];
                    float[] zBefore = t == 0 ? z0 : prefixZ[t - 1];
                    for (int i = 0; i < f; i++) {
                        for (int e = 0; e < dv; e++) prefixS[t][i][e] = before[i][e] + prefixS[t][i][e];
                        prefixZ[t][i] = zBefore[i] + prefixZ[t][i];
                    }
                }
                // 3. every query head of the group reads its prefix
                for (int h = g * spec.groupSize(); h < (g + 1) * spec.groupSize(); h++) {
                    for (int t = 0; t < n; t++) {
                        float[] phiQ = LinearKernels.features(spec.featureMap(), p.query(), b, h, t, spec.normalized());
                        LinearKernels.read(spec, prefixS[t], prefixZ[t], phiQ, out, b, h, t);
                    }
                }
                LinearKernels.storeState(next, b, g, prefixS[n - 1], prefixZ[n - 1]);
            }
        }
        return next;
    }
}
