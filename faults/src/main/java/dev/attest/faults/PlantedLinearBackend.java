package dev.attest.faults;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.linear.LinearSpec;
import dev.attest.linear.LinearState;
import dev.attest.linear.UpdateRule;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.spi.LinearAttentionBackend;
import dev.attest.spi.LinearCapabilities;
import dev.attest.spi.LinearFeature;

import java.util.EnumSet;

/**
 * A plain recurrent linear-attention backend (LINEAR and GATED rules) with one bug planted, or none (the control
 * that shows it is otherwise correct). The catalog's linear mutants ({@link LinearMutants}) and the linear kit's
 * self-test ({@code LinearPlantedBugsTest}) use it.
 */
public final class PlantedLinearBackend implements LinearAttentionBackend {

    /** The bugs it can carry (NONE: the control). */
    public enum Bug { NONE, READ_BEFORE_UPDATE, TILED_GQA, IGNORES_CARRIED_STATE, NO_STATE_CHECK, WRONG_POSITION,
        COMPUTES_UNDECLARED,
        /** The normalised read forgets to divide by q·z (returns the numerator). */
        NO_NORMALISER }

    private final Bug bug;

    public PlantedLinearBackend(Bug bug) {
        this.bug = bug;
    }

    @Override public String name() { return "mutant-" + bug.name().toLowerCase(java.util.Locale.ROOT); }

    @Override
    public LinearCapabilities capabilities() {
        EnumSet<LinearFeature> f = EnumSet.of(LinearFeature.CAUSAL, LinearFeature.NORMALIZED,
                LinearFeature.UNNORMALIZED, LinearFeature.INITIAL_STATE, LinearFeature.GROUPED_QUERY_HEADS);
        return new LinearCapabilities(f, EnumSet.of(UpdateRule.LINEAR, UpdateRule.GATED),
                EnumSet.of(FeatureMap.Kind.IDENTITY, FeatureMap.Kind.ELU_PLUS_ONE), Precision.FP32);
    }

    @Override public FeatureMap defaultFeatureMap(int kDim) { return new FeatureMap.Identity(kDim); }

    @Override
    public LinearState forward(LinearProblem p, Tensor out) {
        if (bug != Bug.COMPUTES_UNDECLARED) capabilities().requireAll(name(), p);
        if (bug != Bug.NO_STATE_CHECK && p.initialState() != null) p.initialState().requireFits(p.spec());
        LinearSpec s = p.spec();
        int f = s.features(), dv = s.vDim();
        LinearState next = LinearState.zeros(s);
        int past = p.initialState() == null ? 0 : p.initialState().position();
        next = new LinearState(next.s(), next.z(), bug == Bug.WRONG_POSITION ? s.length() : past + s.length());
        for (int b = 0; b < s.batch(); b++) {
            for (int g = 0; g < s.kvHeads(); g++) {
                double[][] st = new double[f][dv];
                double[] z = new double[f];
                LinearState init = bug == Bug.IGNORES_CARRIED_STATE ? null : p.initialState();
                if (init != null) {
                    for (int i = 0; i < f; i++) {
                        for (int e = 0; e < dv; e++) st[i][e] = init.s().get(b, g, i, e);
                        if (init.z() != null) z[i] = init.z().get(b, g, i);
                    }
                }
                for (int t = 0; t < s.length(); t++) {
                    if (bug == Bug.READ_BEFORE_UPDATE) read(p, st, z, out, b, g, t);
                    double[] k = s.featureMap().apply(row(p.key(), b, g, t));
                    double[] v = row(p.value(), b, g, t);
                    double gate = p.gates() == null ? 1 : p.gates().get(b, g, t);
                    for (int i = 0; i < f; i++) {
                        for (int e = 0; e < dv; e++) st[i][e] = gate * st[i][e] + k[i] * v[e];
                        z[i] += k[i];
                    }
                    if (bug != Bug.READ_BEFORE_UPDATE) read(p, st, z, out, b, g, t);
                }
                for (int i = 0; i < f; i++) {
                    for (int e = 0; e < dv; e++) next.s().set((float) st[i][e], b, g, i, e);
                    if (next.z() != null) next.z().set((float) z[i], b, g, i);
                }
            }
        }
        return next;
    }

    private void read(LinearProblem p, double[][] st, double[] z, Tensor out, int b, int g, int t) {
        LinearSpec s = p.spec();
        for (int h = 0; h < s.qHeads(); h++) {
            int kv = bug == Bug.TILED_GQA ? h % s.kvHeads() : s.kvHeadOf(h);
            if (kv != g) continue;
            double[] q = s.featureMap().apply(row(p.query(), b, h, t));
            double den = 0;
            for (int i = 0; i < q.length; i++) den += q[i] * z[i];
            for (int e = 0; e < s.vDim(); e++) {
                double num = 0;
                for (int i = 0; i < q.length; i++) num += q[i] * st[i][e];
                out.set((float) (s.normalized() && bug != Bug.NO_NORMALISER ? num / den : s.effectiveScale() * num), b, h, t, e);
            }
        }
    }

    private static double[] row(Tensor x, int b, int h, int t) {
        double[] r = new double[x.dim(3)];
        for (int j = 0; j < r.length; j++) r[j] = x.get(b, h, t, j);
        return r;
    }
}
