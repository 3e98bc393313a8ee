package dev.attest.backends.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The deterministic exp and tanh: accuracy against the JDK, edge values, and vector lanes equal to scalar. */
class TileKernelsTest {

    @Test
    void expIsWithinThreeUlpsOfMathExpAndExactAtTheEdges() {
        Random rnd = new Random(1);
        for (int k = 0; k < 200_000; k++) {
            float x = (float) (rnd.nextDouble() * 175 - 87);
            float expected = (float) Math.exp(x), actual = TileKernels.exp(x);
            assertTrue(Math.abs(expected - actual) <= 3 * Math.ulp(expected), x + ": " + expected + " vs " + actual);
        }
        assertEquals(0f, TileKernels.exp(Float.NEGATIVE_INFINITY));
        assertEquals(1f, TileKernels.exp(0f));
        assertTrue(Float.isNaN(TileKernels.exp(Float.NaN)));
    }

    @Test
    void tanhIsWithinThreeUlpsOfMathTanh() {
        Random rnd = new Random(2);
        for (int k = 0; k < 200_000; k++) {
            float x = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(5) - 2));
            float expected = (float) Math.tanh(x), actual = TileKernels.tanh(x);
            assertTrue(Math.abs(expected - actual) <= 3 * Math.ulp(expected), x + ": " + expected + " vs " + actual);
        }
        assertTrue(Float.isNaN(TileKernels.tanh(Float.NaN)));
        assertEquals(1f, TileKernels.tanh(Float.POSITIVE_INFINITY));
    }

    @Test
    void vectorSoftmaxAndSoftcapGiveTheScalarBitsLaneByLane() {
        Random rnd = new Random(3);
        assumeTrue(TileKernels.VECTOR, "the Vector API is off: there is no vector kernel to compare");
        int rows = 8, lds = 96, n = 83, width = 96;                  // n: whole vectors and a tail, then padding
        float[] x = new float[rows * lds];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 20);
        x[5] = Float.NEGATIVE_INFINITY;
        x[lds + 6] = Float.NaN;
        java.util.Arrays.fill(x, 2 * lds, 2 * lds + n, Float.NEGATIVE_INFINITY);   // a row with nothing visible
        for (int c = 0; c < n; c++) x[4 * lds + c] *= 1e10f;                       // logits beyond foldable()
        java.util.Arrays.fill(x, 7 * lds, 7 * lds + n, Float.NEGATIVE_INFINITY);   // x86's NaN (sign bit set), alone
        x[7 * lds + 40] = Float.intBitsToFloat(0xFFC00000);                         // among hidden keys: still NaN
        float[] v = x.clone(), s = x.clone();
        float[] mv = {0f, 1f, Float.NEGATIVE_INFINITY, 50f, -3f, 2f, 0f, Float.NEGATIVE_INFINITY}, ms = mv.clone();
        float[] av = new float[rows], as = new float[rows];
        float[] lv = new float[rows * TileKernels.SUM_LANES], ls = new float[rows];
        TileKernels.onlineSoftmax(v, lds, rows, n, width, 0.37f, mv, av, lv);
        TileKernels.onlineSoftmaxScalar(s, lds, rows, n, width, 0.37f, ms, as, ls);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToIntBits(s[i]), Float.floatToIntBits(v[i]), "p lane " + i);
        }
        for (int r = 0; r < rows; r++) {
            assertEquals(Float.floatToIntBits(ms[r]), Float.floatToIntBits(mv[r]), "m row " + r);
            assertEquals(Float.floatToIntBits(as[r]), Float.floatToIntBits(av[r]), "alpha row " + r);
            float sum = TileKernels.rowSum(lv, r);                   // lane partial sums: another order, ~1 ulp each
            assertEquals(ls[r], sum, Float.isNaN(ls[r]) ? 0 : 1e-6f * Math.abs(ls[r]) * n, "l row " + r);
        }
        assertEquals(1f, av[2], "a row with nothing visible keeps O");
        assertTrue(Float.isNaN(mv[7]) && Float.isNaN(v[7 * lds]), "a negative NaN among hidden keys must give NaN");
        assertEquals(0f, v[2 * lds + 1]);
        for (int c = n; c < width; c++) assertEquals(0f, v[3 * lds + c], "padding column " + c);

        v = x.clone();
        s = x.clone();
        TileKernels.softcap(v, 0, v.length, 7f);
        TileKernels.softcapScalar(s, 0, 0, s.length, 7f);
        for (int i = 0; i < x.length; i++) assertEquals(Float.floatToIntBits(s[i]), Float.floatToIntBits(v[i]), "tanh lane " + i);
    }

    @Test
    void divideAndAllFiniteAgreeWithTheirScalarTwins() {
        assumeTrue(TileKernels.VECTOR, "the Vector API is off: there is no vector kernel to compare");
        Random rnd = new Random(5);
        for (int n : new int[] {3, 16, 37, 64}) {                    // shorter than a vector, whole, with a tail
            float[] x = random(rnd, n), yv = new float[n + 2], ys = new float[n + 2];
            TileKernels.divide(x, 0, yv, 1, n, 0.3f);
            TileKernels.divideScalar(x, 0, ys, 1, 0, n, 0.3f);
            for (int i = 0; i < n + 2; i++) assertEquals(Float.floatToIntBits(ys[i]), Float.floatToIntBits(yv[i]));
            assertTrue(TileKernels.allFinite(x, 0, n), "finite values, n = " + n);
            for (float bad : new float[] {Float.NaN, Float.intBitsToFloat(0xFFC00000), Float.POSITIVE_INFINITY,
                    Float.NEGATIVE_INFINITY}) {
                for (int at : new int[] {0, n / 2, n - 1}) {                 // in a whole vector and in the tail
                    float[] y = x.clone();
                    y[at] = bad;
                    assertFalse(TileKernels.allFinite(y, 0, n), bad + " at " + at + " of " + n);
                    assertTrue(TileKernels.allFinite(y, at + 1, n - at - 1), "the range after " + at + " of " + n);
                }
            }
        }
    }

    @Test
    void matrixKernelsAgreeWithTheirScalarTwinsOnEveryBlockShape() {
        assumeTrue(TileKernels.VECTOR, "the Vector API is off: there is no vector kernel to compare");
        Random rnd = new Random(4);
        for (int width : new int[] {8, 16, 24, 40, 64, 72, 100, 136}) {
            int rows = 12, depth = width, keys = 64, cols = 64;
            float[] q = random(rnd, rows * depth), kt = random(rnd, depth * cols), v = random(rnd, keys * width);
            float[] sv = new float[rows * cols], ss = new float[rows * cols];
            TileKernels.scores(q, 0, depth, kt, 0, cols, sv, 0, cols, rows, cols, depth);
            TileKernels.scoresScalar(q, 0, depth, kt, 0, cols, ss, 0, cols, rows, cols, depth);
            assertClose(ss, sv, depth, "scores, depth " + depth);
            float[] alpha = random(rnd, rows), o = random(rnd, rows * width);
            float[] ov = o.clone(), os = o.clone();
            TileKernels.accumulate(ss, 0, cols, v, 0, width, ov, 0, width, alpha, rows, keys, width);
            TileKernels.accumulateScalar(ss, 0, cols, v, 0, width, os, 0, width, alpha, 0, rows, keys, 0, width);
            assertClose(os, ov, keys * depth, "accumulate, width " + width);
        }
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    /** FMA against separate multiply and add: the twins may differ by a few roundings per term. */
    private static void assertClose(float[] expected, float[] actual, int terms, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 4e-7f * terms, what + ", element " + i);
        }
    }
}
