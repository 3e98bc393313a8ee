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
 * {@code linear-recurrent}: the recurrent form with an explicit state, one token at a time; the only built-in form of
 * every ONNX update rule (linear, gated, delta, gated-delta). Its returned state is the decoding cache.
 * Default feature map: identity (the ONNX operator applies none).
 */
public final class LinearRecurrentBackend extends CheckedLinearBackend {

    public LinearRecurrentBackend() {
        super("linear-recurrent", "recurrent form, explicit state S (F x Dv) and z (F), every update rule, fp32",
                new LinearCapabilities(EnumSet.of(LinearFeature.CAUSAL, LinearFeature.NORMALIZED,
                        LinearFeature.UNNORMALIZED, LinearFeature.INITIAL_STATE, LinearFeature.GROUPED_QUERY_HEADS),
                        EnumSet.allOf(UpdateRule.class), EnumSet.allOf(FeatureMap.Kind.class), Precision.FP32));
    }

    @Override
    public FeatureMap defaultFeatureMap(int kDim) {
        return new FeatureMap.Identity(kDim);
    }

    @Override
    protected LinearState compute(LinearProblem p, Tensor out) {
        LinearSpec spec = p.spec();
        LinearState next = LinearKernels.newState(p);
        int f = spec.features(), dv = spec.vDim();
        for (int b = 0; b < spec.batch(); b++) {
            for (int g = 0; g < spec.kvHeads(); g++) {
                float[][] s = LinearKernels.initialS(p, b, g);
                float[] z = LinearKernels.initialZ(p, b, g);
                for (int t = 0; t < spec.length(); t++) {
                    float[] phiK = LinearKernels.features(spec.featureMap(), p.key(), b, g, t, false);
                    float[] v = LinearKernels.row(p.value(), b, g, t);
                    float gate = LinearKernels.scalar(p.gates(), b, g, t);
                    float beta = LinearKernels.scalar(p.betas(), b, g, t);
                    if (spec.rule().gated()) for (float[] row : s) for (int e = 0; e < dv; e++) row[e] *= gate;
                    float[] write = v;
                    if (spec.rule().delta()) {                                    // β (v − (g S)ᵀ φk)
                        write = new float[dv];
                        for (int e = 0; e < dv; e++) {
                            float predicted = 0;
                            for (int i = 0; i < f; i++) predicted += s[i][e] * phiK[i];
                            write[e] = beta * (v[e] - predicted);
                        }
                    }
                    for (int i = 0; i < f; i++) {
                        for (int e = 0; e < dv; e++) s[i][e] += phiK[i] * write[e];
                        z[i] += phiK[i];
                    }
                    for (int h = g * spec.groupSize(); h < (g + 1) * spec.groupSize(); h++) {   // kv head = h / group
                        float[] phiQ = LinearKernels.features(spec.featureMap(), p.query(), b, h, t, spec.normalized());
                        LinearKernels.read(spec, s, z, phiQ, out, b, h, t);
                    }
                }
                LinearKernels.storeState(next, b, g, s, z);
            }
        }
        return next;
    }
}
