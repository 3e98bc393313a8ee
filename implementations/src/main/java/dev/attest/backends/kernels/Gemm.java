package dev.attest.backends.kernels;

import java.util.stream.IntStream;

/**
 * Row-major single-precision matrix multiply {@code C = A*B} (or {@code C += A*B}) on explicit offsets and leading
 * dimensions, blocked for cache and accumulated in float.
 *
 * <p>Every element {@code C[i][j]} receives its products in natural order {@code k = 0, 1, ..., K-1} (the
 * k-blocks are visited in order and the i-k-j inner loop keeps k ascending per element), so the result is the
 * same as the textbook triple loop with a float accumulator and independent of the blocking and of threads.
 * Rows are split among threads; each row of C is written by exactly one task.
 */
public final class Gemm {
    /** Rows per task and per block: a block of A rows reuses the same B panel while it is hot in cache. */
    private static final int ROW_BLOCK = 32;
    /** Depth of a B panel: KB rows of B of the usual widths stay within L2. */
    private static final int K_BLOCK = 128;
    /** Below this many multiply-adds the fork/join overhead outweighs the work. */
    private static final long PARALLEL_THRESHOLD = 1L << 16;

    private Gemm() {
    }

    /**
     * {@code C[m x n] (+)= A[m x k] * B[k x n]}; {@code A[i][p] = a[aOff + i*lda + p]}, likewise for B and C.
     *
     * @param accumulate add into C instead of overwriting it
     * @param parallel   split rows of C among the common fork/join pool
     */
    public static void multiply(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff,
                                int ldc, int m, int k, int n, boolean accumulate, boolean parallel) {
        assert m >= 0 && k >= 0 && n >= 0;
        assert m == 0 || k == 0 || aOff + (long) (m - 1) * lda + k - 1 < a.length : "A out of bounds";
        assert k == 0 || n == 0 || bOff + (long) (k - 1) * ldb + n - 1 < b.length : "B out of bounds";
        assert m == 0 || n == 0 || cOff + (long) (m - 1) * ldc + n - 1 < c.length : "C out of bounds";
        int blocks = (m + ROW_BLOCK - 1) / ROW_BLOCK;
        if (parallel && blocks > 1 && (long) m * k * n >= PARALLEL_THRESHOLD) {
            IntStream.range(0, blocks).parallel().forEach(blk ->
                    rowBlock(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, blk * ROW_BLOCK,
                            Math.min(m, (blk + 1) * ROW_BLOCK), k, n, accumulate));
        } else {
            for (int blk = 0; blk < blocks; blk++) {
                rowBlock(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, blk * ROW_BLOCK,
                        Math.min(m, (blk + 1) * ROW_BLOCK), k, n, accumulate);
            }
        }
    }

    /** Rows {@code [i0, i1)} of C: zero them (unless accumulating), then i-k-j over k-panels in order. */
    private static void rowBlock(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff,
                                 int ldc, int i0, int i1, int k, int n, boolean accumulate) {
        if (!accumulate) {
            for (int i = i0; i < i1; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
        }
        for (int p0 = 0; p0 < k; p0 += K_BLOCK) {
            int p1 = Math.min(k, p0 + K_BLOCK);
            for (int i = i0; i < i1; i++) {
                int cRow = cOff + i * ldc;
                int aRow = aOff + i * lda;
                for (int p = p0; p < p1; p++) {
                    float aip = a[aRow + p];                 // A[i][p]
                    int bRow = bOff + p * ldb;               // &B[p][0]
                    for (int j = 0; j < n; j++) c[cRow + j] += aip * b[bRow + j];   // C[i][j] += A[i][p]*B[p][j]
                }
            }
        }
    }
}
