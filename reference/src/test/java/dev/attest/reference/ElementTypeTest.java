package dev.attest.reference;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ElementTypeTest {
    private static final ElementType[] SMALL = {ElementType.FP16, ElementType.BF16, ElementType.FP8_E4M3,
            ElementType.FP8_E5M2};

    @Test
    void theFormatsLimitsAreTheStandardOnes() {
        assertEquals(65504, ElementType.FP16.maxFinite());
        assertEquals(0x1.fep127, ElementType.BF16.maxFinite());
        assertEquals(448, ElementType.FP8_E4M3.maxFinite());
        assertEquals(57344, ElementType.FP8_E5M2.maxFinite());
        assertEquals(0x1p-24, ElementType.FP16.minSubnormal());
        assertEquals(0x1p-9, ElementType.FP8_E4M3.minSubnormal());
        assertEquals(0x1p-16, ElementType.FP8_E5M2.minSubnormal());
        assertEquals(0x1p-6, ElementType.FP8_E4M3.minNormal());
    }

    @Test
    void fp8CodesDecodeAsTheOcpTablesSay() {
        ElementType e4m3 = ElementType.FP8_E4M3, e5m2 = ElementType.FP8_E5M2;
        assertEquals(448f, e4m3.decode(0x7e));
        assertEquals(-448f, e4m3.decode(0xfe));
        assertTrue(Float.isNaN(e4m3.decode(0x7f)) && Float.isNaN(e4m3.decode(0xff)));
        assertEquals(240f, e4m3.decode(0x77), "1.111 * 2^7: the all-ones exponent holds normal values in E4M3");
        assertEquals(0x1p-9f, e4m3.decode(0x01));
        assertEquals(0x1p-6f, e4m3.decode(0x08));
        assertEquals(1f, e4m3.decode(0x38));
        assertEquals(57344f, e5m2.decode(0x7b));
        assertEquals(Float.POSITIVE_INFINITY, e5m2.decode(0x7c));
        assertTrue(Float.isNaN(e5m2.decode(0x7d)));
        assertEquals(0x1p-16f, e5m2.decode(0x01));
        assertEquals(1f, e5m2.decode(0x3c));
    }

    @Test
    void everyCodeRoundTripsExceptNaNs() {
        for (ElementType t : SMALL) {
            for (int code = 0; code < 1 << t.bits(); code++) {
                float v = t.decode(code);
                if (Float.isNaN(v)) continue;
                assertEquals(code, t.encode(v), t + " code 0x" + Integer.toHexString(code) + " = " + v);
                assertEquals(v, t.round(v), 0.0, t + " keeps its own values");
            }
        }
    }

    @Test
    void encodingIsRoundToNearestTiesToEven() {
        SplittableRandom random = new SplittableRandom(7);
        for (ElementType t : SMALL) {
            for (int i = 0; i < 200_000; i++) {
                double x = (random.nextBoolean() ? 1 : -1) * Math.scalb(1 + random.nextDouble(),
                        random.nextInt(-30, 20));
                if (i % 4 == 0) {                         // exact midpoints between two codes: ties go to even
                    double lo = t.round(x);
                    double mid = lo + Math.copySign(t.ulp(lo) / 2, x);
                    if (Math.abs(lo) < t.maxFinite()) x = mid;
                }
                double r = t.round(x);
                if (Math.abs(x) >= t.maxFinite() + t.ulp(t.maxFinite()) / 2) {
                    assertTrue(t.hasInfinity() ? Double.isInfinite(r) : Double.isNaN(r), t + " overflow of " + x);
                    continue;
                }
                double step = t.ulp(x);
                assertTrue(Math.abs(r - x) <= step / 2, t + ": " + x + " rounded to " + r);
                if (Math.abs(r - x) == step / 2 && r != 0) {
                    int code = t.encode(r);
                    assertEquals(0, code & 1, t + ": the tie " + x + " goes to the even code, not " + r);
                }
            }
        }
    }

    @Test
    void fp16AgreesWithTheJdksConversionAndBf16WithTruncationPlusRounding() {
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 500_000; i++) {
            float x = Float.intBitsToFloat(random.nextInt());
            if (Float.isNaN(x)) continue;
            assertEquals(Float.floatToFloat16(x) & 0xffff, ElementType.FP16.encode(x), "fp16 of " + x);
            int bits = Float.floatToRawIntBits(x);
            int rounded = (bits + 0x7fff + ((bits >> 16) & 1)) >>> 16;     // the usual bf16 RNE bit trick
            assertEquals(rounded & 0xffff, ElementType.BF16.encode(x), "bf16 of " + x);
        }
    }

    @Test
    void overflowIsInfinityOrNaNAsPyTorchCastsAndSaturationClamps() {
        ElementType e4m3 = ElementType.FP8_E4M3, e5m2 = ElementType.FP8_E5M2;
        assertEquals(448, e4m3.round(464), "the tie between 448 and the NaN code goes to 448 (even)");
        assertTrue(Double.isNaN(e4m3.round(465)));
        assertEquals(448, e4m3.roundSaturating(1e6));
        assertEquals(-448, e4m3.roundSaturating(-1e6));
        assertEquals(57344, e5m2.round(61439));
        assertEquals(Double.POSITIVE_INFINITY, e5m2.round(61440), "the tie with 65536 goes to the even code: inf");
        assertEquals(Double.POSITIVE_INFINITY, ElementType.FP16.round(65520));
        assertEquals(65504, ElementType.FP16.round(65519));
    }
}
