package dev.attest.oracle;

import java.util.ArrayList;
import java.util.List;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.linear.LinearSpec;
import dev.attest.linear.LinearState;
import dev.attest.linear.UpdateRule;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;

/**
 * The linear-attention oracle: the recurrent definition, read top-down in spec order and run in any
 * {@link Arithmetic} — double-double for the judge ({@link #compute(LinearProblem)}), fp32 rounded after every
 * operation for the tolerance baseline ({@link #naive}), {@code Dfp} for the oracle of the oracle.
 *
 * <pre>
 *   for each batch b, kv head g:                       S = S₀ (F × Dv), z = z₀ (F)   (carried state or zeros)
 *     for t in 0..S-1:  (causal)                        φk = φ(k_t)                   (1) feature map, exact
 *       LINEAR       S ← S + φk v_tᵀ ;  z ← z + φk                                     (2) update rule
 *       GATED        S ← g_t S + φk v_tᵀ
 *       DELTA        S ← S + β_t φk (v_t − Sᵀφk)ᵀ
 *       GATED_DELTA  S ← g_t S + β_t φk (v_t − g_t Sᵀφk)ᵀ
 *       for each query head h with h / (Hq/Hkv) = g:    φq = φ(q_t)                   (3) GQA: repeat-interleave
 *         o_t = Sᵀφq / zᵀφq   (normalised)   or   scale · Sᵀφq   (unnormalised)       (4) read after the update
 *   non-causal (LINEAR only): all updates first, then every t reads the final S, z.
 * </pre>
 * Inputs must be finite (linear attention has no masking, so there is nothing for a NaN to hide behind).
 */
public final class LinearOracle {
    private LinearOracle() {
    }

    /** Output (B, Hq, S, Dv) and final state S (B, Hkv, F, Dv), z (B, Hkv, F) or null, all row-major doubles. */
    public record Result(OracleResult output, OracleResult s, OracleResult z) {
    }

    public static Result compute(LinearProblem p) {
        return compute(p, DoubleDoubleArithmetic.INSTANCE);
    }

    /** The plain computation rounded to {@code precision} after every operation (the tolerance baseline). */
    public static Result naive(LinearProblem p, Precision precision) {
        return compute(p, new RoundedArithmetic(precision));
    }

    public static Result arbitrary(LinearProblem p, int decimalDigits) {
        return compute(p, new DfpArithmetic(decimalDigits));
    }

    public static <T> Result compute(LinearProblem p, Arithmetic<T> ar) {
        return new Run<>(p, ar).run();
    }

    private static final class Run<T> {
        final LinearProblem p;
        final LinearSpec spec;
        final Arithmetic<T> ar;
        final FeatureMap map;
        final int f, dv;

        Run(LinearProblem p, Arithmetic<T> ar) {
            this.p = p;
            this.spec = p.spec();
            this.ar = ar;
            this.map = spec.featureMap();
            this.f = spec.features();
            this.dv = spec.vDim();
        }

        Result run() {
            if (p.initialState() != null) p.initialState().requireFits(spec);
            requireFinite("Q", p.query());
            requireFinite("K", p.key());
            requireFinite("V", p.value());
            Grid<T> q = Grid.of(p.query(), ar), k = Grid.of(p.key(), ar), v = Grid.of(p.value(), ar);
            Grid<T> out = new Grid<>(p.outputShape());
            Grid<T> sOut = new Grid<>(spec.batch(), spec.kvHeads(), f, dv);
            Grid<T> zOut = spec.normalized() ? new Grid<>(spec.batch(), spec.kvHeads(), f) : null;
            LinearState init = p.initialState();
            Grid<T> s0 = init == null ? null : Grid.of(init.s(), ar);
            Grid<T> z0 = init == null || init.z() == null ? null : Grid.of(init.z(), ar);
            T scale = ar.of(spec.effectiveScale());
            for (int b = 0; b < spec.batch(); b++) {
                for (int g = 0; g < spec.kvHeads(); g++) {
                    List<List<T>> s = new ArrayList<>(f);                   // S, F rows of Dv
                    List<T> z = new ArrayList<>(f);
                    for (int i = 0; i < f; i++) {
                        List<T> row = new ArrayList<>(dv);
                        for (int e = 0; e < dv; e++) row.add(s0 == null ? ar.of(0) : s0.get(b, g, i, e));
                        s.add(row);
                        z.add(z0 == null ? ar.of(0) : z0.get(b, g, i));
                    }
                    for (int t = 0; t < spec.length(); t++) {
                        List<T> phiK = map.apply(ar, k.row(b, g, t));                                 // (1)
                        update(s, z, phiK, v.row(b, g, t), scalar(p.gates(), b, g, t), scalar(p.betas(), b, g, t)); // (2)
                        if (spec.causal()) readAll(out, q, s, z, scale, b, g, t);                     // (3), (4)
                    }
                    if (!spec.causal()) for (int t = 0; t < spec.length(); t++) readAll(out, q, s, z, scale, b, g, t);
                    for (int i = 0; i < f; i++) {
                        for (int e = 0; e < dv; e++) sOut.set(s.get(i).get(e), b, g, i, e);
                        if (zOut != null) zOut.set(z.get(i), b, g, i);
                    }
                }
            }
            return new Result(out.toResult(ar::toDouble), sOut.toResult(ar::toDouble),
                    zOut == null ? null : zOut.toResult(ar::toDouble));
        }

        private T scalar(Tensor t, int b, int g, int i) {
            return t == null ? null : ar.of(t.get(b, g, i));
        }

        /** (2): the update rule, in place. */
        private void update(List<List<T>> s, List<T> z, List<T> phiK, List<T> v, T gate, T beta) {
            UpdateRule rule = spec.rule();
            if (rule.gated()) {
                for (List<T> row : s) for (int e = 0; e < dv; e++) row.set(e, ar.multiply(gate, row.get(e)));
            }
            List<T> write = v;
            if (rule.delta()) {                         // v − Sᵀφk, with S already decayed by g (= g Sᵀφk)
                write = new ArrayList<>(dv);
                for (int e = 0; e < dv; e++) {
                    List<T> column = new ArrayList<>(f);
                    for (List<T> row : s) column.add(row.get(e));
                    write.add(ar.multiply(beta, ar.subtract(v.get(e), ar.dot(column, phiK))));
                }
            }
            for (int i = 0; i < f; i++) {
                List<T> row = s.get(i);
                for (int e = 0; e < dv; e++) row.set(e, ar.add(row.get(e), ar.multiply(phiK.get(i), write.get(e))));
            }
            if (spec.normalized()) for (int i = 0; i < f; i++) z.set(i, ar.add(z.get(i), phiK.get(i)));
        }

        /** (3), (4): every query head of kv group g reads token t. */
        private void readAll(Grid<T> out, Grid<T> q, List<List<T>> s, List<T> z, T scale, int b, int g, int t) {
            for (int h = g * spec.groupSize(); h < (g + 1) * spec.groupSize(); h++) {
                List<T> phiQ = map.apply(ar, q.row(b, h, t));
                T denominator = spec.normalized() ? ar.dot(z, phiQ) : null;
                List<T> o = out.row(b, h, t);
                for (int e = 0; e < dv; e++) {
                    List<T> column = new ArrayList<>(f);
                    for (List<T> row : s) column.add(row.get(e));
                    T numerator = ar.dot(column, phiQ);
                    o.set(e, spec.normalized() ? ar.divide(numerator, denominator) : ar.multiply(scale, numerator));
                }
            }
        }

        private static void requireFinite(String name, Tensor t) {
            if (t.hasNonFinite()) {
                throw new dev.attest.reference.InvalidProblemException("linear oracle: " + name
                        + " holds NaN or Inf; linear attention has no mask to hide it");
            }
        }
    }
}
