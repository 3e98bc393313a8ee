package dev.attest.backends.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void vectorExpAndSoftcapGiveTheScalarBitsLaneByLane() {
        Random rnd = new Random(3);
        float[] x = new float[1003];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 20);
        x[5] = Float.NEGATIVE_INFINITY;
        x[6] = Float.NaN;
        float[] v = x.clone(), s = x.clone();
        TileKernels.expSum(v, 0, v.length, 3f);
        TileKernels.expSumScalar(s, 0, 0, s.length, 3f);
        for (int i = 0; i < x.length; i++) assertEquals(Float.floatToIntBits(s[i]), Float.floatToIntBits(v[i]), "exp lane " + i);
        v = x.clone();
        s = x.clone();
        TileKernels.softcap(v, 0, v.length, 7f);
        TileKernels.softcapScalar(s, 0, 0, s.length, 7f);
        for (int i = 0; i < x.length; i++) assertEquals(Float.floatToIntBits(s[i]), Float.floatToIntBits(v[i]), "tanh lane " + i);
    }
}
