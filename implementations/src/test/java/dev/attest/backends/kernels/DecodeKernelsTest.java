package dev.attest.backends.kernels;

import dev.attest.reference.Descale;
import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The decode step's widening kernels give exactly ElementType.decode, for every code, at every offset and tail. */
class DecodeKernelsTest {

    @ParameterizedTest
    @EnumSource(ElementType.class)
    void widenDecodesEveryCodeExactly(ElementType type) {
        int codes = type == ElementType.FP32 ? 1 << 16 : 1 << type.bits();
        int n = codes + 13;                                   // a tail after the whole vectors
        Tensor store = switch (type) {
            case FP32 -> Tensor.zeros(n);
            case FP16, BF16 -> Tensor.zeros(type, n);
            case FP8_E4M3, FP8_E5M2 -> Tensor.zeros(type, Descale.ONE, n);
        };
        for (int i = 0; i < n; i++) {
            int code = type == ElementType.FP32 ? Float.floatToRawIntBits((i % codes) * 1.5f - 7e4f) : i % codes;
            store.setBits(code, i);
        }
        for (int offset : new int[]{0, 1, 7}) {
            float[] widened = new float[n - offset + 3];
            DecodeKernels.widen(store, offset, n - offset, widened, 3);
            for (int i = offset; i < n; i++) {
                int code = store.bits(i);
                assertEquals(Float.floatToIntBits(type.decode(code)), Float.floatToIntBits(widened[i - offset + 3]),
                        () -> type + " code 0x" + Integer.toHexString(code) + " at offset " + offset);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void dotAndWeightedSumAgreeWithDoubleSumsAtEveryWidth() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        for (int width = 1; width <= 150; width += 7) {
            int rows = 1 + width % 5, ldv = width + 3;
            float[] x = new float[width + 2], p = new float[rows + 1], v = new float[rows * ldv + 1];
            float[] o = new float[width + 1];
            for (int i = 0; i < x.length; i++) x[i] = (float) random.nextDouble(-1, 1);
            for (int i = 0; i < p.length; i++) p[i] = (float) random.nextDouble();
            for (int i = 0; i < v.length; i++) v[i] = (float) random.nextDouble(-1, 1);
            for (int i = 0; i < o.length; i++) o[i] = (float) random.nextDouble(-1, 1);
            double dot = 0, bound = 0;
            for (int i = 0; i < width; i++) {
                dot += (double) x[i + 1] * v[i + 1];
                bound += Math.abs((double) x[i + 1] * v[i + 1]);
            }
            assertEquals(dot, DecodeKernels.dot(x, 1, v, 1, width), width * 0x1p-23 * bound + 1e-30, "dot " + width);
            float[] summed = o.clone();
            DecodeKernels.weightedSum(p, 1, v, 1, ldv, rows, summed, 1, width - 1 > 0 ? width - 1 : 1);
            for (int d = 0; d < Math.max(1, width - 1); d++) {
                double expected = o[1 + d], size = Math.abs(o[1 + d]);
                for (int r = 0; r < rows; r++) {
                    expected += (double) p[1 + r] * v[1 + r * ldv + d];
                    size += Math.abs((double) p[1 + r] * v[1 + r * ldv + d]);
                }
                assertEquals(expected, summed[1 + d], (rows + 1) * 0x1p-23 * size, "weighted sum " + width + " at " + d);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void bf16ReadInRegistersEqualsWideningFirstBitForBit() {
        int width = 48, rows = 5, ldv = 72;   // whole vectors of 8 (AVX2) and 16 (AVX-512)
        org.junit.jupiter.api.Assumptions.assumeTrue(DecodeKernels.fusedBf16(width), "the Vector API is off");
        java.util.SplittableRandom random = new java.util.SplittableRandom(9);
        Tensor v = Tensor.zeros(ElementType.BF16, rows * ldv);
        for (int i = 0; i < rows * ldv; i++) v.setBits(ElementType.BF16.encode(random.nextDouble(-2, 2)), i);
        float[] wide = new float[rows * ldv], q = new float[width], p = new float[rows];
        DecodeKernels.widen(v, 0, rows * ldv, wide, 0);
        for (int i = 0; i < width; i++) q[i] = (float) random.nextDouble(-1, 1);
        for (int i = 0; i < rows; i++) p[i] = (float) random.nextDouble();
        assertEquals(Float.floatToIntBits(DecodeKernels.dot(q, 0, wide, ldv, width)),
                Float.floatToIntBits(DecodeKernels.dotBf16(q, 0, v.bits16(), ldv, width)));
        float[] a = new float[width], b = new float[width];
        DecodeKernels.weightedSum(p, 0, wide, 3, ldv, rows, a, 0, width);
        DecodeKernels.weightedSumBf16(p, 0, v.bits16(), 3, ldv, rows, b, 0, width);
        org.junit.jupiter.api.Assertions.assertArrayEquals(a, b);
    }

    @org.junit.jupiter.api.Test
    void narrowingToBf16RoundsEveryFloatShapeAsTheScalarRule() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        int n = 4099;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (i % 5) {
                case 0 -> Float.intBitsToFloat(random.nextInt());         // every exponent, NaNs and infinities
                case 1 -> Float.intBitsToFloat((random.nextInt(1 << 16) << 16) | 0x8000);   // exact ties
                case 2 -> Float.NaN;
                case 3 -> Float.intBitsToFloat(0x7f7fffff);                // rounds up to infinity
                default -> (float) random.nextGaussian();
            };
        }
        Tensor out = Tensor.zeros(ElementType.BF16, n);
        TypedRows.store(x, 0, n, out, 0, 1);
        for (int i = 0; i < n; i++) {
            int expected = ElementType.BF16.encode(x[i]);
            int actual = out.bits(i);
            if (Float.isNaN(x[i])) assertEquals(true, Float.isNaN(ElementType.BF16.decode(actual)), "NaN at " + i);
            else assertEquals(expected, actual, "element " + i + " = " + x[i]);
        }
    }
}
