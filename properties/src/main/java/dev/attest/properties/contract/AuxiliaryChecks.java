package dev.attest.properties.contract;

import dev.attest.oracle.Oracle;
import dev.attest.oracle.OracleResult;
import dev.attest.properties.engine.Facts;
import dev.attest.properties.judge.Expectation;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Mask;
import dev.attest.reference.Precision;
import dev.attest.reference.ScoreStage;
import dev.attest.reference.Tensor;

/**
 * The judgements behind the S12 properties (auxiliary outputs): the log-sum-exp and the scores against the oracle
 * within the tolerance model, their infinities exact, and the split-KV combine of two halves of the keys.
 */
final class AuxiliaryChecks {
    private AuxiliaryChecks() {
    }

    /** The log-sum-exp (B, Hq, Sq) within the tolerance model of the oracle's; -inf exactly where no key is seen. */
    static void requireLogSumExp(AttentionProblem problem, Tensor lse, Precision precision, double k) {
        OracleResult oracle = Oracle.logSumExp(problem);
        requireSameInfinities("log-sum-exp", oracle, lse);
        Expectation.of("log-sum-exp", oracle, arithmetic -> Oracle.logSumExp(problem, arithmetic),
                Math.max(1, oracle.maxAbs()), k, precision).check(lse);
    }

    /** The scores at {@code stage} within the tolerance model; -inf (BIASED) and 0 (PROBABILITIES) where hidden. */
    static void requireScores(AttentionProblem problem, ScoreStage stage, Tensor scores, Precision precision,
                              double k) {
        OracleResult oracle = Oracle.scores(problem, stage);
        requireSameInfinities("scores at " + stage, oracle, scores);
        if (stage == ScoreStage.PROBABILITIES) {                 // hidden keys (the mask view, not a value) weigh 0
            float[] got = scores.toArray();
            dev.attest.reference.MaskView view = problem.maskView();
            var s = problem.spec();
            for (int b = 0, i = 0; b < s.batch(); b++)
                for (int h = 0; h < s.qHeads(); h++)
                    for (int q = 0; q < s.qLength(); q++)
                        for (int j = 0; j < s.kvLength(); j++, i++) {
                            if (!view.visible(b, h, q, j) && got[i] != 0) {
                                throw new AssertionError(Facts.of().add("failure", "a hidden key's probability is not"
                                        + " exactly 0").add("element", Expectation.index(oracle.shape(), i))
                                        .add("but was", got[i]).toString());
                            }
                        }
        }
        Expectation.of("scores at " + stage, oracle, arithmetic -> Oracle.scores(problem, stage, arithmetic),
                Math.max(1, oracle.maxAbs()), k, precision).check(scores);
    }

    /** Where the oracle is +-inf the backend wrote the same infinity (the tolerance model skips non-finite pairs). */
    private static void requireSameInfinities(String what, OracleResult oracle, Tensor actual) {
        float[] got = actual.toArray();
        for (int i = 0; i < got.length; i++) {
            double want = oracle.values()[i];
            if (Double.isInfinite(want) ? got[i] != want : Float.isInfinite(got[i])) {
                throw new AssertionError(Facts.of().add("failure", what + ": an infinity where the oracle has none, "
                        + "or none where it has one").add("element", Expectation.index(oracle.shape(), i))
                        .add("expected (oracle)", want).add("but was", got[i]).toString());
            }
        }
    }

    /**
     * Keys {@code [from, to)} of {@code whole} (whose mask is explicit, (B, Hq, Sq, Skv), or absent) as a problem of
     * their own: dense copies of those rows of K and V, the mask's columns.
     */
    static AttentionProblem keys(AttentionProblem whole, int from, int to) {
        AttentionSpec s = whole.spec();
        int n = to - from;
        AttentionSpec part = s.toBuilder().lengths(s.qLength(), n).build();
        Tensor k = rows(whole.key(), from, n), v = rows(whole.value(), from, n);
        Mask mask = whole.mask();
        if (mask != null) {
            int[] shape = {s.batch(), s.qHeads(), s.qLength(), n};
            int rowsOfMask = s.batch() * s.qHeads() * s.qLength();
            if (mask instanceof Mask.Keep keep) {
                boolean[] cut = new boolean[rowsOfMask * n];
                for (int r = 0; r < rowsOfMask; r++) System.arraycopy(keep.keep(), r * s.kvLength() + from, cut, r * n, n);
                mask = new Mask.Keep(cut, shape);
            } else {
                float[] bias = ((Mask.Bias) mask).bias(), cut = new float[rowsOfMask * n];
                for (int r = 0; r < rowsOfMask; r++) System.arraycopy(bias, r * s.kvLength() + from, cut, r * n, n);
                mask = new Mask.Bias(cut, shape);
            }
        }
        return new AttentionProblem(part, whole.query(), k, v, mask, null);
    }

    private static Tensor rows(Tensor t, int from, int n) {
        Tensor out = Tensor.zeros(t.type(), t.dim(0), t.dim(1), n, t.dim(3));
        for (int b = 0; b < t.dim(0); b++)
            for (int h = 0; h < t.dim(1); h++)
                for (int j = 0; j < n; j++)
                    for (int d = 0; d < t.dim(3); d++) out.set(t.get(b, h, from + j, d), b, h, j, d);
        return out;
    }

    /**
     * The split-KV combine, in double, rounded once into {@code into}: {@code lse = ln(e^l1 + e^l2)},
     * {@code out = e^(l1 - lse) o1 + e^(l2 - lse) o2}; a row that sees no key in either half is 0.
     */
    static Tensor combine(Tensor o1, Tensor l1, Tensor o2, Tensor l2, Tensor into) {
        for (int b = 0; b < into.dim(0); b++)
            for (int h = 0; h < into.dim(1); h++)
                for (int i = 0; i < into.dim(2); i++) {
                    double a = l1.get(b, h, i), c = l2.get(b, h, i);
                    double max = Math.max(a, c);
                    double lse = max == Double.NEGATIVE_INFINITY ? max : max + Math.log(Math.exp(a - max) + Math.exp(c - max));
                    double w1 = lse == Double.NEGATIVE_INFINITY ? 0 : Math.exp(a - lse);
                    double w2 = lse == Double.NEGATIVE_INFINITY ? 0 : Math.exp(c - lse);
                    for (int d = 0; d < into.dim(3); d++) {
                        double x = (w1 == 0 ? 0 : w1 * o1.get(b, h, i, d)) + (w2 == 0 ? 0 : w2 * o2.get(b, h, i, d));
                        into.set((float) x, b, h, i, d);
                    }
                }
        return into;
    }
}
