package dev.attest.linear;

import java.util.SplittableRandom;

import dev.attest.oracle.LinearOracle;
import dev.attest.reference.InvalidProblemException;
import dev.attest.reference.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The linear oracle: hand-computed cases, the oracle of the oracle (Dfp), and its input checks. */
class LinearOracleTest {

    private static Tensor random(SplittableRandom r, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.data().length; i++) t.data()[i] = (float) (r.nextDouble() * 2 - 1);
        return t;
    }

    private static Tensor uniform(SplittableRandom r, double lo, double hi, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.data().length; i++) t.data()[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return t;
    }

    @Test
    void identityMapLinearRuleIsScaledCausalDotProductAttentionWithoutSoftmax() {
        // q = [1, 2], k = [[1, 0], [0, 1]] per token, v = [3], [5]; Dk = 2, scale = 1/sqrt(2)
        LinearSpec spec = LinearSpec.of(1, 1, 1, 2, 2, 1, true, new FeatureMap.Identity(2), UpdateRule.LINEAR, false);
        Tensor q = Tensor.of(new float[]{1, 2, 1, 2}, 1, 1, 2, 2);
        Tensor k = Tensor.of(new float[]{1, 0, 0, 1}, 1, 1, 2, 2);
        Tensor v = Tensor.of(new float[]{3, 5}, 1, 1, 2, 1);
        var r = LinearOracle.compute(new LinearProblem(spec, q, k, v, null, null, null));
        double s = 1 / Math.sqrt(2);
        assertEquals(s * 3, r.output().get(0, 0, 0, 0), 1e-15);            // t=0: (q.k0) v0 = 3
        assertEquals(s * (3 + 2 * 5), r.output().get(0, 0, 1, 0), 1e-15);  // t=1: 3 + (q.k1) v1
        assertEquals(3, r.s().get(0, 0, 0, 0), 0);                          // S = k0 v0ᵀ + k1 v1ᵀ
        assertEquals(5, r.s().get(0, 0, 1, 0), 0);
    }

    @Test
    void gatedDeltaRuleMatchesTheFormulaByHand() {
        // one feature: S1 = g1 S0 + b1 k1 (v1 − g1 S0 k1), S0 = 0 → S1 = b1 k1 v1; S2 = g2 S1 + b2 k2 (v2 − g2 S1 k2)
        LinearSpec spec = LinearSpec.of(1, 1, 1, 2, 1, 1, true, new FeatureMap.Identity(1), UpdateRule.GATED_DELTA,
                false);
        float k1 = 0.5f, k2 = 0.25f, v1 = 2, v2 = -1, g2 = 0.75f, b1 = 0.5f, b2 = 0.25f;
        var r = LinearOracle.compute(new LinearProblem(spec, Tensor.of(new float[]{1, 1}, 1, 1, 2, 1),
                Tensor.of(new float[]{k1, k2}, 1, 1, 2, 1), Tensor.of(new float[]{v1, v2}, 1, 1, 2, 1),
                Tensor.of(new float[]{0.5f, g2}, 1, 1, 2), Tensor.of(new float[]{b1, b2}, 1, 1, 2), null));
        double s1 = b1 * k1 * v1;
        double s2 = g2 * s1 + b2 * k2 * (v2 - g2 * s1 * k2);
        assertEquals(s2, r.s().get(0, 0, 0, 0), 1e-15);
        assertEquals(s2 * 1.0, r.output().get(0, 0, 1, 0), 1e-15);           // Dk = 1: scale 1, q = 1
    }

    @Test
    void doubleDoubleAgreesWithFortyDigitDfpForEveryRuleAndRandomMap() {
        SplittableRandom r = new SplittableRandom(11);
        FeatureMap[] maps = {FeatureMap.favorPositive(3, 4, 5, true), FeatureMap.favorTrig(3, 3, 6, false),
                new FeatureMap.EluPlusOne(3)};
        for (FeatureMap map : maps) {
            for (UpdateRule rule : UpdateRule.values()) {
                boolean normalized = rule == UpdateRule.LINEAR && map.positive();
                LinearSpec spec = LinearSpec.of(1, 2, 1, 3, 3, 2, true, map, rule, normalized);
                LinearProblem p = new LinearProblem(spec, random(r, 1, 2, 3, 3), random(r, 1, 1, 3, 3),
                        random(r, 1, 1, 3, 2), rule.gated() ? uniform(r, 0.5, 1, 1, 1, 3) : null,
                        rule.delta() ? uniform(r, 0, 1, 1, 1, 3) : null, null);
                double[] dd = LinearOracle.compute(p).output().values();
                double[] dfp = LinearOracle.arbitrary(p, 40).output().values();
                for (int i = 0; i < dd.length; i++) {
                    double tolerance = 2 * Math.ulp(dfp[i]);
                    int at = i;
                    assertTrue(Math.abs(dd[i] - dfp[i]) <= tolerance, () -> map.describe() + " " + rule + " element "
                            + at + ": double-double " + dd[at] + " vs Dfp " + dfp[at]);
                }
            }
        }
    }

    @Test
    void aMisfitStateIsAClearErrorNamingTheAxis() {
        LinearSpec spec = LinearSpec.of(1, 1, 1, 2, 2, 3, true, new FeatureMap.EluPlusOne(2), UpdateRule.LINEAR, true);
        SplittableRandom r = new SplittableRandom(3);
        LinearState wrong = new LinearState(Tensor.zeros(1, 1, 2, 4), Tensor.zeros(1, 1, 2), 1);
        LinearProblem p = new LinearProblem(spec, random(r, 1, 1, 2, 2), random(r, 1, 1, 2, 2), random(r, 1, 1, 2, 3),
                null, null, wrong);
        InvalidProblemException e = assertThrows(InvalidProblemException.class, () -> LinearOracle.compute(p));
        assertTrue(e.getMessage().contains("Dv (value head dimension)"), e.getMessage());
    }

    @Test
    void specRefusesNormalisedGatedAndNonCausalDelta() {
        FeatureMap map = new FeatureMap.Identity(2);
        assertThrows(InvalidProblemException.class,
                () -> LinearSpec.of(1, 1, 1, 2, 2, 2, true, map, UpdateRule.GATED, true));
        assertThrows(InvalidProblemException.class,
                () -> LinearSpec.of(1, 1, 1, 2, 2, 2, false, map, UpdateRule.DELTA, false));
        assertThrows(InvalidProblemException.class,
                () -> LinearSpec.of(1, 1, 1, 2, 3, 2, true, map, UpdateRule.LINEAR, false));
    }

    @Test
    void randomMapsAreReproducibleRedrawableAndOrthogonalBlocksAreOrthogonal() {
        var a = FeatureMap.favorPositive(4, 8, 42, true);
        var b = FeatureMap.favorPositive(4, 8, 42, true);
        var c = a.redraw(43);
        assertTrue(java.util.Arrays.equals(a.row(5), b.row(5)));
        assertTrue(!java.util.Arrays.equals(a.row(5), c.row(5)));
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < i; j++) {
                float[] x = a.row(i), y = a.row(j);
                double dot = 0, nx = 0, ny = 0;
                for (int d = 0; d < 4; d++) {
                    dot += x[d] * y[d];
                    nx += x[d] * x[d];
                    ny += y[d] * y[d];
                }
                assertEquals(0, dot / Math.sqrt(nx * ny), 1e-6, "rows " + i + ", " + j + " of an orthogonal block");
            }
        }
    }
}
