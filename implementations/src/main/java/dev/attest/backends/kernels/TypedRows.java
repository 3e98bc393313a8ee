package dev.attest.backends.kernels;

import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;

/**
 * Strided runs of a typed tensor's storage read as fp32, and fp32 results written back rounded once to the
 * tensor's type: the only place the CPU kernels meet fp16, bf16 and fp8 bits. Kernels widen while they pack a tile
 * (an O(n·d) pass beside O(n²·d) arithmetic), so their inner loops stay fp32.
 *
 * <p>Widening is exact: every fp16, bf16 and fp8 value is an fp32 value, and an fp8 value times its fp32 descale is
 * exact too (4 significant bits times 24 stay within 24 unless the product leaves fp32's range).
 */
public final class TypedRows {
    /** Every E4M3 and E5M2 bit pattern decoded (before its descale): a table lookup per element. */
    private static final float[] E4M3 = table(ElementType.FP8_E4M3), E5M2 = table(ElementType.FP8_E5M2);

    private TypedRows() {
    }

    private static float[] table(ElementType type) {
        float[] t = new float[256];
        for (int b = 0; b < 256; b++) t[b] = type.decode(b);
        return t;
    }

    /** The descale of (batch b, head h) of an fp8 tensor; 1 for every other type. */
    public static float factor(Tensor t, int b, int h) {
        return t.type().isFp8() ? t.descale().factor(b, h) : 1f;
    }

    /**
     * {@code dst[dstOff + i·dstStride] = value of the storage element at src + i·srcStride}, for {@code i < n}, an
     * fp8 value multiplied by {@code factor} ({@link #factor}).
     */
    public static void load(Tensor t, int src, int srcStride, int n, float factor, float[] dst, int dstOff,
                            int dstStride) {
        if (srcStride == 1 && dstStride == 1 && t.type() != ElementType.FP32 && TileKernels.VECTOR) {
            DecodeKernels.widen(t, src, n, dst, dstOff);     // a contiguous run: whole vectors at a time
            if (factor != 1f) for (int i = 0; i < n; i++) dst[dstOff + i] *= factor;
            return;
        }
        loadScalar(t, src, srcStride, n, factor, dst, dstOff, dstStride);
    }

    /** {@link #load} one element at a time (the vector kernels' tails). */
    static void loadScalar(Tensor t, int src, int srcStride, int n, float factor, float[] dst, int dstOff,
                           int dstStride) {
        switch (t.type()) {
            case FP32 -> {
                float[] x = t.data();
                if (srcStride == 1 && dstStride == 1) System.arraycopy(x, src, dst, dstOff, n);
                else for (int i = 0; i < n; i++) dst[dstOff + i * dstStride] = x[src + i * srcStride];
            }
            case BF16 -> {
                short[] x = t.bits16();
                for (int i = 0; i < n; i++) dst[dstOff + i * dstStride] = Float.intBitsToFloat(x[src + i * srcStride] << 16);
            }
            case FP16 -> {
                short[] x = t.bits16();
                for (int i = 0; i < n; i++) dst[dstOff + i * dstStride] = Float.float16ToFloat(x[src + i * srcStride]);
            }
            case FP8_E4M3, FP8_E5M2 -> {
                byte[] x = t.bits8();
                float[] table = t.type() == ElementType.FP8_E4M3 ? E4M3 : E5M2;
                for (int i = 0; i < n; i++) dst[dstOff + i * dstStride] = table[x[src + i * srcStride] & 0xff] * factor;
            }
        }
    }

    /**
     * Writes {@code src[srcOff .. srcOff + n)} to the storage elements {@code dst + i·dstStride} of {@code t}, each
     * rounded once to nearest-even in t's type (fp32, fp16 or bf16: outputs are never fp8).
     */
    public static void store(float[] src, int srcOff, int n, Tensor t, int dst, int dstStride) {
        switch (t.type()) {
            case FP32 -> {
                float[] y = t.data();
                if (dstStride == 1) System.arraycopy(src, srcOff, y, dst, n);
                else for (int i = 0; i < n; i++) y[dst + i * dstStride] = src[srcOff + i];
            }
            case BF16 -> {
                short[] y = t.bits16();
                int i = dstStride == 1 && TileKernels.VECTOR ? DecodeVectorKernels.narrowBf16(src, srcOff, n, y, dst) : 0;
                for (; i < n; i++) y[dst + i * dstStride] = toBf16(src[srcOff + i]);
            }
            case FP16 -> {
                short[] y = t.bits16();
                for (int i = 0; i < n; i++) y[dst + i * dstStride] = Float.floatToFloat16(src[srcOff + i]);
            }
            default -> throw new IllegalArgumentException("outputs are fp32, fp16 or bf16, not " + t.type());
        }
    }

    /** Round to nearest-even on the 16 bits dropped; NaN stays a quiet NaN (the rounding carry could make it inf). */
    public static short toBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }
}
