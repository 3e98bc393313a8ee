package dev.attest.backends.linear;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.linear.LinearSpec;
import dev.attest.linear.LinearState;
import dev.attest.reference.Tensor;

/**
 * Small fp32 kernels shared by the linear backends: feature rows, state in/out. Each works on explicit indices and
 * keeps no hidden state. Features are evaluated in double and rounded once to fp32; queries of a normalised output
 * use the stabilised form ({@link FeatureMap#applyQuery}), whose constant factor cancels in the ratio.
 */
final class LinearKernels {
    private LinearKernels() {
    }

    /** φ(x) for row (b, h, t) of a rank-4 tensor, rounded to fp32. */
    static float[] features(FeatureMap map, Tensor x, int b, int h, int t, boolean stabilisedQuery) {
        int d = x.dim(3);
        double[] row = new double[d];
        for (int j = 0; j < d; j++) row[j] = x.data()[x.index(b, h, t, j)];
        double[] phi = stabilisedQuery ? map.applyQuery(row) : map.apply(row);
        float[] out = new float[phi.length];
        for (int i = 0; i < phi.length; i++) out[i] = (float) phi[i];
        return out;
    }

    /** φ of every token of one head: [t][F]. */
    static float[][] featureRows(FeatureMap map, Tensor x, int b, int h, int length, boolean stabilisedQuery) {
        float[][] rows = new float[length][];
        for (int t = 0; t < length; t++) rows[t] = features(map, x, b, h, t, stabilisedQuery);
        return rows;
    }

    static float[] row(Tensor x, int b, int h, int t) {
        float[] out = new float[x.dim(3)];
        for (int j = 0; j < out.length; j++) out[j] = x.data()[x.index(b, h, t, j)];
        return out;
    }

    static float scalar(Tensor x, int b, int g, int t) {
        return x == null ? 1f : x.data()[x.index(b, g, t)];
    }

    /** The carried state of (b, g), or zeros: S as [F][Dv], z as [F]. */
    static float[][] initialS(LinearProblem p, int b, int g) {
        LinearSpec s = p.spec();
        float[][] state = new float[s.features()][s.vDim()];
        LinearState init = p.initialState();
        if (init != null) {
            for (int i = 0; i < state.length; i++)
                for (int e = 0; e < s.vDim(); e++) state[i][e] = init.s().get(b, g, i, e);
        }
        return state;
    }

    static float[] initialZ(LinearProblem p, int b, int g) {
        float[] z = new float[p.spec().features()];
        LinearState init = p.initialState();
        if (init != null && init.z() != null) for (int i = 0; i < z.length; i++) z[i] = init.z().get(b, g, i);
        return z;
    }

    static void storeState(LinearState out, int b, int g, float[][] s, float[] z) {
        for (int i = 0; i < s.length; i++) {
            for (int e = 0; e < s[i].length; e++) out.s().set(s[i][e], b, g, i, e);
            if (out.z() != null) out.z().set(z[i], b, g, i);
        }
    }

    static LinearState newState(LinearProblem p) {
        LinearState empty = LinearState.zeros(p.spec());
        int past = p.initialState() == null ? 0 : p.initialState().position();
        return new LinearState(empty.s(), empty.z(), past + p.spec().length());
    }

    /** Writes {@code Sᵀφq} (divided by {@code zᵀφq}, or times the scale) into out[b, h, t, :]. */
    static void read(LinearSpec spec, float[][] s, float[] z, float[] phiQ, Tensor out, int b, int h, int t) {
        float denominator = 0;
        if (spec.normalized()) for (int i = 0; i < z.length; i++) denominator += z[i] * phiQ[i];
        float scale = (float) spec.effectiveScale();
        for (int e = 0; e < spec.vDim(); e++) {
            float numerator = 0;
            for (int i = 0; i < s.length; i++) numerator += s[i][e] * phiQ[i];
            out.data()[out.index(b, h, t, e)] = spec.normalized() ? numerator / denominator : scale * numerator;
        }
    }
}
