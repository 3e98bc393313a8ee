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
 * {@code linear-parallel}: the parallel forms of the LINEAR rule. Non-causal: {@code KV = Φ_Kᵀ V} and
 * {@code z = Φ_Kᵀ 1} once, then {@code O = Φ_Q KV / Φ_Q z} (cost linear in S). Causal: the masked quadratic form
 * {@code A = tril(Φ_Q Φ_Kᵀ)}, {@code O = (Φ_Q S₀ + A V) / (Φ_Q z₀ + A 1)} (cost quadratic in S, as in training
 * kernels). Default feature map: FAVOR+ with 64 orthogonal positive random features, seed 0.
 */
public final class LinearParallelBackend extends CheckedLinearBackend {

    public LinearParallelBackend() {
        super("linear-parallel", "parallel forms: Phi_Q (Phi_K^T V) non-causal, masked Phi_Q Phi_K^T causal; fp32",
                new LinearCapabilities(EnumSet.of(LinearFeature.CAUSAL, LinearFeature.NON_CAUSAL,
                        LinearFeature.NORMALIZED, LinearFeature.UNNORMALIZED, LinearFeature.INITIAL_STATE,
                        LinearFeature.GROUPED_QUERY_HEADS), EnumSet.of(UpdateRule.LINEAR),
                        EnumSet.allOf(FeatureMap.Kind.class), Precision.FP32));
    }

    @Override
    public FeatureMap defaultFeatureMap(int kDim) {
        return FeatureMap.favorPositive(kDim, 64, 0, true);
    }

    @Override
    protected LinearState compute(LinearProblem p, Tensor out) {
        LinearSpec spec = p.spec();
        LinearState next = LinearKernels.newState(p);
        int f = spec.features(), dv = spec.vDim(), n = spec.length();
        for (int b = 0; b < spec.batch(); b++) {
            for (int g = 0; g < spec.kvHeads(); g++) {
                float[][] phiK = LinearKernels.featureRows(spec.featureMap(), p.key(), b, g, n, false);
                float[][] v = new float[n][];
                for (int t = 0; t < n; t++) v[t] = LinearKernels.row(p.value(), b, g, t);
                float[][] s0 = LinearKernels.initialS(p, b, g);
                float[] z0 = LinearKernels.initialZ(p, b, g);
                // the state after all tokens: S₀ + Φ_Kᵀ V, z₀ + Φ_Kᵀ 1
                float[][] kv = new float[f][dv];
                float[] z = new float[f];
                for (int i = 0; i < f; i++) {
                    for (int e = 0; e < dv; e++) {
                        float sum = 0;
                        for (int t = 0; t < n; t++) sum += phiK[t][i] * v[t][e];
                        kv[i][e] = s0[i][e] + sum;
                    }
                    float sum = 0;
                    for (int t = 0; t < n; t++) sum += phiK[t][i];
                    z[i] = z0[i] + sum;
                }
                for (int h = g * spec.groupSize(); h < (g + 1) * spec.groupSize(); h++) {
                    float[][] phiQ = LinearKernels.featureRows(spec.featureMap(), p.query(), b, h, n, spec.normalized());
                    if (!spec.causal()) {
                        for (int t = 0; t < n; t++) LinearKernels.read(spec, kv, z, phiQ[t], out, b, h, t);
                    } else {
                        causalRows(spec, phiQ, phiK, v, s0, z0, out, b, h);
                    }
                }
                LinearKernels.storeState(next, b, g, kv, z);
            }
        }
        return next;
    }

    private static void causalRows(LinearSpec spec, float[][] phiQ, float[][] phiK, float[][] v, float[][] s0,
                                   float[] z0, Tensor out, int b, int h) {
        int n = phiQ.length, f = s0.length, dv = spec.vDim();
        float scale = (float) spec.effectiveScale();
        for (int i = 0; i < n; i++) {
            float[] a = new float[i + 1];                       // row i of tril(Φ_Q Φ_Kᵀ)
            float rowSum = 0;
            for (int j = 0; j <= i; j++) {
                float dot = 0;
                for (int c = 0; c < f; c++) dot += phiQ[i][c] * phiK[j][c];
                a[j] = dot;
                rowSum += dot;
            }
            float denominator = rowSum;
            if (spec.normalized()) for (int c = 0; c < f; c++) denominator += phiQ[i][c] * z0[c];
            for (int e = 0; e < dv; e++) {
                float numerator = 0;
                for (int c = 0; c < f; c++) numerator += phiQ[i][c] * s0[c][e];
                for (int j = 0; j <= i; j++) numerator += a[j] * v[j][e];
                out.data()[out.index(b, h, i, e)] = spec.normalized() ? numerator / denominator : scale * numerator;
            }
        }
    }
}
