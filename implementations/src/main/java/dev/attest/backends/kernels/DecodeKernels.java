package dev.attest.backends.kernels;

import dev.attest.reference.Tensor;

/**
 * The kernels of a bandwidth-bound decode step: a contiguous run of a typed KV cache widened to fp32 (its raw
 * stored values, before any descale) and a dot product. Vector API twins in {@link DecodeVectorKernels} when
 * {@link TileKernels#VECTOR}, plain loops otherwise.
 *
 * <p>Widening a run into an L1-sized scratch block and computing from there reads the cache from memory once, in
 * its own width: what makes a bf16 cache about twice, an fp8 one about four times cheaper to stream than fp32.
 */
public final class DecodeKernels {
    private DecodeKernels() {
    }

    /** {@code dst[dstOff + i] = stored value of store[off + i]} for {@code i < n} (fp8 without its descale). */
    public static void widen(Tensor store, int off, int n, float[] dst, int dstOff) {
        switch (store.type()) {
            case FP32 -> System.arraycopy(store.data(), off, dst, dstOff, n);
            case FP16 -> {
                // Float.float16ToFloat is a C2 intrinsic (vcvtph2ps) that the loop vectoriser widens itself
                short[] x = store.bits16();
                for (int i = 0; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(x[off + i]);
            }
            case BF16 -> {
                int i = TileKernels.VECTOR ? DecodeVectorKernels.widenBf16(store.bits16(), off, n, dst, dstOff) : 0;
                TypedRows.load(store, off + i, 1, n - i, 1f, dst, dstOff + i, 1);
            }
            case FP8_E4M3 -> {
                int i = TileKernels.VECTOR ? DecodeVectorKernels.widenE4m3(store.bits8(), off, n, dst, dstOff) : 0;
                TypedRows.load(store, off + i, 1, n - i, 1f, dst, dstOff + i, 1);
            }
            case FP8_E5M2 -> {
                int i = TileKernels.VECTOR ? DecodeVectorKernels.widenE5m2(store.bits8(), off, n, dst, dstOff) : 0;
                TypedRows.load(store, off + i, 1, n - i, 1f, dst, dstOff + i, 1);
            }
        }
    }

    /** {@code sum_i x[xOff + i] * y[yOff + i]} (lane partial sums, reduced, then the tail). */
    public static float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        if (TileKernels.VECTOR) return DecodeVectorKernels.dot(x, xOff, y, yOff, n);
        float s = 0f;
        for (int i = 0; i < n; i++) s += x[xOff + i] * y[yOff + i];
        return s;
    }
}
