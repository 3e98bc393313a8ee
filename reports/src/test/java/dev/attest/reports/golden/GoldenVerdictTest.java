package dev.attest.reports.golden;

import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GoldenVerdictTest {
    private static GoldenVerdict judge(float[] got, float[] expected) {
        return GoldenVerdict.of(Tensor.of(got, 1, 1, 1, got.length), Tensor.of(expected, 1, 1, 1, expected.length),
                1e-3, 1e-2);
    }

    @Test
    void anExpectedInfinityOrNaNIsMetOnlyByTheSameValue() {
        float inf = Float.POSITIVE_INFINITY, nan = Float.NaN;
        assertTrue(judge(new float[]{inf, -inf, nan, 1}, new float[]{inf, -inf, nan, 1}).pass());
        for (float wrong : new float[]{0, 1e30f, -inf, nan}) {
            GoldenVerdict v = judge(new float[]{wrong}, new float[]{inf});
            assertFalse(v.pass(), "out " + wrong + " against expected +inf");
            assertEquals(Double.POSITIVE_INFINITY, v.maxError());
        }
        assertFalse(judge(new float[]{0}, new float[]{nan}).pass());
        assertFalse(judge(new float[]{nan}, new float[]{0}).pass());
        assertFalse(judge(new float[]{inf}, new float[]{0}).pass());
    }

    @Test
    void theMaximumErrorIsTheLargestNotTheOneNearestItsTolerance() {
        // element 0: error 0.5 against an allowance of 1e-3 + 1e-2 * 100 = 1.001 (within);
        // element 1: error 0.01 against 1e-3 (ten times over): the worst against tolerance, not the largest error
        GoldenVerdict v = judge(new float[]{100.5f, 0.01f}, new float[]{100, 0});
        assertFalse(v.pass());
        assertEquals(0.5, v.maxError(), 1e-6);
        assertEquals(0, v.maxAt());
        assertEquals(1, v.worstAt());
        assertEquals(1, v.outOfTolerance());
        String line = v.describe(new int[]{1, 1, 1, 2});
        assertTrue(line.startsWith("max |out - expected| 0.500 at [b=0, h=0, i=0, d=0], 7.14e+42 ulp of fp32; 1 of 2"
                + " elements out of tolerance, the worst at [b=0, h=0, i=0, d=1]"), line);
    }

    @Test
    void aTypedOutputIsComparedInItsOwnTypeAndItsErrorCountedInItsUlps() {
        // bf16 values 1.0, 3.0 and 0.5; the backend is 2 ulps above at 3.0 (bf16 ulp at 3 is 2^-6) and exact elsewhere
        short[] expected = {(short) ElementType.BF16.encode(1), (short) ElementType.BF16.encode(3),
                (short) ElementType.BF16.encode(0.5)};
        short[] got = expected.clone();
        got[1] += 2;
        Tensor e = Tensor.ofBits(expected, ElementType.BF16, 1, 1, 1, 3), g = Tensor.ofBits(got, ElementType.BF16, 1,
                1, 1, 3);
        GoldenVerdict v = GoldenVerdict.of(g, e, 0, 2 * ElementType.BF16.unitRoundoff());     // one ulp relative
        assertFalse(v.pass());
        assertEquals(2 * 0.015625, v.maxError());
        assertEquals(2, v.maxUlps());
        assertTrue(v.describe(new int[]{1, 1, 1, 3}).startsWith("max |out - expected| 0.0313 at [b=0, h=0, i=0, d=1],"
                + " 2 ulp of bf16; 1 of 3 elements out of tolerance"), v.describe(new int[]{1, 1, 1, 3}));
        got[1] -= 1;
        assertTrue(GoldenVerdict.of(g, e, 0, 2 * ElementType.BF16.unitRoundoff()).pass(), "one ulp is within");
    }

    @Test
    void aStridedOutputIsComparedByItsLogicalIndex() {
        float[] bshd = {1, 2, 3, 4};                               // (B=1, S=2, H=2, D=1)
        Tensor got = Tensor.of(bshd, 1, 2, 2, 1).permute(0, 2, 1, 3);
        Tensor expected = Tensor.of(new float[]{1, 3, 2, 4}, 1, 2, 2, 1);   // the same values in BHSD order
        assertTrue(GoldenVerdict.of(got, expected, 0, 0).pass());
        assertFalse(GoldenVerdict.of(Tensor.of(bshd, 1, 2, 2, 1), expected, 0, 0).pass());
    }
}
