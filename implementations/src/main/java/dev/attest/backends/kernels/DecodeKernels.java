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
                TypedRows.loadScalar(store, off + i, 1, n - i, 1f, dst, dstOff + i, 1);
            }
            case FP8_E4M3 -> {
                int i = TileKernels.VECTOR ? DecodeVectorKernels.widenE4m3(store.bits8(), off, n, dst, dstOff) : 0;
                TypedRows.loadScalar(store, off + i, 1, n - i, 1f, dst, dstOff + i, 1);
            }
            case FP8_E5M2 -> {
                int i = TileKernels.VECTOR ? DecodeVectorKernels.widenE5m2(store.bits8(), off, n, dst, dstOff) : 0;
                TypedRows.loadScalar(store, off + i, 1, n - i, 1f, dst, dstOff + i, 1);
            }
        }
    }

    /**
     * {@code o[oOff + d] += sum_s p[pOff + s] * v[vOff + s * ldv + d]} for {@code d < width}: a weighted sum of
     * {@code n} rows (s ascending for every d).
     */
    public static void weightedSum(float[] p, int pOff, float[] v, int vOff, int ldv, int n, float[] o, int oOff,
                                   int width) {
        int d = TileKernels.VECTOR ? DecodeVectorKernels.weightedSum(p, pOff, v, vOff, ldv, n, o, oOff, width) : 0;
        for (; d < width; d++) {
            float acc = o[oOff + d];
            for (int s = 0; s < n; s++) acc += p[pOff + s] * v[vOff + s * ldv + d];
            o[oOff + d] = acc;
        }
    }

    /**
     * Whether a bf16 cache of head dimensions {@code dims} can be read straight from its bits, widened in registers
     * inside the dot product and the weighted sum: the Vector API is on and every dimension is whole vectors.
     */
    public static boolean fusedBf16(int... dims) {
        if (!TileKernels.VECTOR) return false;
        for (int d : dims) if (d % DecodeVectorKernels.lanes() != 0) return false;
        return true;
    }

    /** {@link #dot} against bf16 bits; only where {@link #fusedBf16} holds. */
    public static float dotBf16(float[] x, int xOff, short[] y, int yOff, int n) {
        return DecodeVectorKernels.dotBf16(x, xOff, y, yOff, n);
    }

    /** {@link #weightedSum} over bf16 rows; only where {@link #fusedBf16} holds. */
    public static void weightedSumBf16(float[] p, int pOff, short[] v, int vOff, int ldv, int n, float[] o, int oOff,
                                       int width) {
        DecodeVectorKernels.weightedSumBf16(p, pOff, v, vOff, ldv, n, o, oOff, width);
    }

    /** {@code sum_i x[xOff + i] * y[yOff + i]} (lane partial sums, reduced, then the tail). */
    public static float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        if (TileKernels.VECTOR) return DecodeVectorKernels.dot(x, xOff, y, yOff, n);
        float s = 0f;
        for (int i = 0; i < n; i++) s += x[xOff + i] * y[yOff + i];
        return s;
    }
}
