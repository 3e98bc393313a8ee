package dev.attest.backends.kernels;

/**
 * The small kernels of flash-style tiled attention, on explicit offsets and leading dimensions, with no hidden
 * state. One flag chooses the Vector API or plain Java (llama3.java style): {@code -Dattest.vector=false} selects
 * the scalar twins, and so does a JVM started without {@code --add-modules jdk.incubator.vector}. Every vector
 * kernel in {@link TileVectorKernels} has its scalar twin here, which also handles the vector loop's tail.
 *
 * <p>Shapes: a score tile {@code S (rows x cols)}, a packed transposed key tile {@code Kt (depth x cols)}, a packed
 * value tile {@code V (keys x width)}, an output accumulator {@code O (rows x width)}; row {@code r} of a matrix
 * {@code M} with leading dimension {@code ldm} starts at {@code mOff + r*ldm}.
 */
public final class TileKernels {
    /** True when the Vector API kernels are in use. */
    public static final boolean VECTOR = Boolean.parseBoolean(System.getProperty("attest.vector", "true"))
            && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    /** Query rows per register block of the score and accumulate kernels. */
    public static final int ROW_BLOCK = 4;
    /** Columns per register block of the score kernel: two vectors (16 floats on AVX2), or 16 in scalar code. */
    public static final int COL_BLOCK = VECTOR ? TileVectorKernels.COL_BLOCK : 16;

    private TileKernels() {
    }

    /**
     * {@code S[r][c] = sum_d Q[r][d] * Kt[d][c]} for {@code r < rows}, {@code c < cols}; {@code rows} a multiple of
     * {@link #ROW_BLOCK} and {@code cols} of {@link #COL_BLOCK}.
     */
    public static void scores(float[] q, int qOff, int ldq, float[] kt, int ktOff, int ldk, float[] s, int sOff,
                              int lds, int rows, int cols, int depth) {
        assert rows % ROW_BLOCK == 0 && cols % COL_BLOCK == 0;
        assert qOff + (rows - 1) * ldq + depth <= q.length : "Q tile out of bounds";
        assert ktOff + (depth - 1) * ldk + cols <= kt.length : "Kt tile out of bounds";
        if (VECTOR) TileVectorKernels.scores(q, qOff, ldq, kt, ktOff, ldk, s, sOff, lds, rows, cols, depth);
        else scoresScalar(q, qOff, ldq, kt, ktOff, ldk, s, sOff, lds, rows, cols, depth);
    }

    static void scoresScalar(float[] q, int qOff, int ldq, float[] kt, int ktOff, int ldk, float[] s, int sOff,
                             int lds, int rows, int cols, int depth) {
        for (int r = 0; r < rows; r++) {
            int sRow = sOff + r * lds, qRow = qOff + r * ldq;
            java.util.Arrays.fill(s, sRow, sRow + cols, 0f);
            for (int d = 0; d < depth; d++) {
                float qd = q[qRow + d];                          // Q[r][d]
                int kRow = ktOff + d * ldk;                      // &Kt[d][0]
                for (int c = 0; c < cols; c++) s[sRow + c] += qd * kt[kRow + c];
            }
        }
    }

    /**
     * {@code O[r][d] += sum_{j < keys} P[r][j] * V[j][d]} for {@code r < rows} ({@link #ROW_BLOCK} multiple),
     * {@code d < width}, j ascending for every element.
     */
    public static void accumulate(float[] p, int pOff, int ldp, float[] v, int vOff, int ldv, float[] o, int oOff,
                                  int ldo, int rows, int keys, int width) {
        assert rows % ROW_BLOCK == 0;
        assert vOff + (keys - 1) * ldv + width <= v.length : "V tile out of bounds";
        if (VECTOR) TileVectorKernels.accumulate(p, pOff, ldp, v, vOff, ldv, o, oOff, ldo, rows, keys, width);
        else accumulateScalar(p, pOff, ldp, v, vOff, ldv, o, oOff, ldo, rows, keys, 0, width);
    }

    /** The scalar twin of {@link #accumulate}, on columns {@code [d0, d1)} (the vector kernel's tail). */
    static void accumulateScalar(float[] p, int pOff, int ldp, float[] v, int vOff, int ldv, float[] o, int oOff,
                                 int ldo, int rows, int keys, int d0, int d1) {
        for (int r = 0; r < rows; r++) {
            int oRow = oOff + r * ldo, pRow = pOff + r * ldp;
            for (int j = 0; j < keys; j++) {
                float pj = p[pRow + j];                          // P[r][j]
                int vRow = vOff + j * ldv;                       // &V[j][0]
                for (int d = d0; d < d1; d++) o[oRow + d] += pj * v[vRow + d];
            }
        }
    }

    /** {@code y[d] += a * x[d]} for {@code d < n}: one row of P*V when masked keys must be skipped one by one. */
    public static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        if (VECTOR) TileVectorKernels.axpy(a, x, xOff, y, yOff, n);
        else axpyScalar(a, x, xOff, y, yOff, 0, n);
    }

    static void axpyScalar(float a, float[] x, int xOff, float[] y, int yOff, int from, int n) {
        for (int d = from; d < n; d++) y[yOff + d] += a * x[xOff + d];
    }

    /** {@code x[i] *= a} for {@code i < n}. */
    public static void scale(float[] x, int off, int n, float a) {
        if (VECTOR) TileVectorKernels.scale(x, off, n, a);
        else scaleScalar(x, off, 0, n, a);
    }

    static void scaleScalar(float[] x, int off, int from, int n, float a) {
        for (int i = from; i < n; i++) x[off + i] *= a;
    }

    /** {@code x[i] = c * tanh(x[i] / c)} for {@code i < n}. */
    public static void softcap(float[] x, int off, int n, float c) {
        if (VECTOR) TileVectorKernels.softcap(x, off, n, c);
        else softcapScalar(x, off, 0, n, c);
    }

    static void softcapScalar(float[] x, int off, int from, int n, float c) {
        for (int i = from; i < n; i++) x[off + i] = (float) (c * Math.tanh(x[off + i] / c));
    }

    /** The largest of {@code x[0, n)} ({@link Math#max} semantics: NaN wins); {@code -inf} when all are. */
    public static float max(float[] x, int off, int n) {
        return VECTOR ? TileVectorKernels.max(x, off, n) : maxScalar(x, off, 0, n, Float.NEGATIVE_INFINITY);
    }

    static float maxScalar(float[] x, int off, int from, int n, float max) {
        for (int i = from; i < n; i++) max = Math.max(max, x[off + i]);
        return max;
    }

    /** {@code x[i] = exp(x[i] - m)} for {@code i < n}; returns their sum. */
    public static float expSum(float[] x, int off, int n, float m) {
        return VECTOR ? TileVectorKernels.expSum(x, off, n, m) : expSumScalar(x, off, 0, n, m);
    }

    static float expSumScalar(float[] x, int off, int from, int n, float m) {
        float sum = 0f;
        for (int i = from; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - m);
            x[off + i] = e;
            sum += e;
        }
        return sum;
    }
}
