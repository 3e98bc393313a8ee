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
    public static final int ROW_BLOCK = 6;
    /** Columns per register block of the score kernel: two vectors (16 floats on AVX2), or 16 in scalar code. */
    public static final int COL_BLOCK = VECTOR ? TileVectorKernels.COL_BLOCK : 16;
    /** Partial sums per row of {@link #onlineSoftmax}'s running sum: one per vector lane. */
    public static final int SUM_LANES = VECTOR ? TileVectorKernels.L : 1;

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
     * {@code O[r][d] = alpha[r] * O[r][d] + sum_{j < keys} P[r][j] * V[j][d]} for {@code r < rows} (a
     * {@link #ROW_BLOCK} multiple), {@code d < width}, j ascending for every element: the online softmax's rescale
     * of O rides on this pass instead of a separate one.
     */
    public static void accumulate(float[] p, int pOff, int ldp, float[] v, int vOff, int ldv, float[] o, int oOff,
                                  int ldo, float[] alpha, int rows, int keys, int width) {
        assert rows % ROW_BLOCK == 0 && alpha.length >= rows;
        assert vOff + (keys - 1) * ldv + width <= v.length : "V tile out of bounds";
        if (VECTOR) TileVectorKernels.accumulate(p, pOff, ldp, v, vOff, ldv, o, oOff, ldo, alpha, rows, keys, width);
        else accumulateScalar(p, pOff, ldp, v, vOff, ldv, o, oOff, ldo, alpha, 0, rows, keys, 0, width);
    }

    /**
     * The scalar twin of {@link #accumulate}, on rows {@code [r0, r0+rows)} and columns {@code [d0, d1)}; a null
     * {@code alpha} skips the rescale (the vector kernel's tail, already rescaled).
     */
    static void accumulateScalar(float[] p, int pOff, int ldp, float[] v, int vOff, int ldv, float[] o, int oOff,
                                 int ldo, float[] alpha, int r0, int rows, int keys, int d0, int d1) {
        for (int r = 0; r < rows; r++) {
            int oRow = oOff + r * ldo, pRow = pOff + r * ldp;
            if (alpha != null) {
                float a = alpha[r0 + r];
                for (int d = d0; d < d1; d++) o[oRow + d] *= a;
            }
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

    /** {@code y[i] = x[i] / d} for {@code i < n}: a row of O over its running sum (a correctly rounded division). */
    public static void divide(float[] x, int xOff, float[] y, int yOff, int n, float d) {
        if (VECTOR) TileVectorKernels.divide(x, xOff, y, yOff, n, d);
        else divideScalar(x, xOff, y, yOff, 0, n, d);
    }

    static void divideScalar(float[] x, int xOff, float[] y, int yOff, int from, int n, float d) {
        for (int i = from; i < n; i++) y[yOff + i] = x[xOff + i] / d;
    }

    /** Whether {@code x[off .. off+n)} holds no NaN and no infinity. */
    public static boolean allFinite(float[] x, int off, int n) {
        return VECTOR ? TileVectorKernels.allFinite(x, off, n) : allFiniteScalar(x, off, 0, n);
    }

    static boolean allFiniteScalar(float[] x, int off, int from, int n) {
        float zero = 0f;                                     // x - x is 0 for a finite x, NaN otherwise
        for (int i = from; i < n; i++) zero += x[off + i] - x[off + i];
        return zero == 0f;
    }

    /** {@code x[i] = c * tanh(x[i] / c)} for {@code i < n}. */
    public static void softcap(float[] x, int off, int n, float c) {
        if (VECTOR) TileVectorKernels.softcap(x, off, n, c);
        else softcapScalar(x, off, 0, n, c);
    }

    static void softcapScalar(float[] x, int off, int from, int n, float c) {
        for (int i = from; i < n; i++) x[off + i] = c * tanh(x[off + i] / c);
    }

    /**
     * One online-softmax step over a score tile S (rows x width, leading dimension {@code lds}) of which columns
     * {@code [0, n)} hold scores and the rest is padding. For each row r, with x = S * scale ({@code scale > 0}, or
     * 1 when S already holds logits, masked ones {@code -inf}):
     * <pre>
     *   m' = max(m[r], max_c x[c]);   p[c] = exp(x[c] - m')   (x*scale - m' in one rounding: an fma)
     *   alpha[r] = exp(m[r] - m');    l[r] = alpha[r] * l[r] + sum_c p[c];   m[r] = m'
     * </pre>
     * S is overwritten with p, zero in the padding. A row with nothing visible ({@code max x = -inf}) gets p = 0
     * and alpha 1. The running sum of row r is kept as {@link #SUM_LANES} partial sums at {@code l[r*SUM_LANES]}
     * (see {@link #rowSum}); scale folded into the exponent's fma saves a pass over S.
     */
    public static void onlineSoftmax(float[] s, int lds, int rows, int n, int width, float scale, float[] m,
                                     float[] alpha, float[] l) {
        assert scale > 0 && n <= width && width <= lds;
        if (VECTOR) TileVectorKernels.onlineSoftmax(s, lds, rows, n, width, scale, m, alpha, l);
        else onlineSoftmaxScalar(s, lds, rows, n, width, scale, m, alpha, l);
    }

    static void onlineSoftmaxScalar(float[] s, int lds, int rows, int n, int width, float scale, float[] m,
                                    float[] alpha, float[] l) {
        for (int r = 0, off = 0; r < rows; r++, off += lds) {
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < n; c++) max = Math.max(max, s[off + c]);
            float rowMax = max * scale;
            if (rowMax == Float.NEGATIVE_INFINITY) {
                java.util.Arrays.fill(s, off, off + width, 0f);
                alpha[r] = 1f;
                continue;
            }
            float mNew = Math.max(m[r], rowMax), sum = 0f;
            boolean fma = foldable(mNew);
            for (int c = 0; c < n; c++) {
                float e = exp(fma ? Math.fma(s[off + c], scale, -mNew) : s[off + c] * scale - mNew);
                s[off + c] = e;
                sum += e;
            }
            java.util.Arrays.fill(s, off + n, off + width, 0f);
            alpha[r] = exp(m[r] - mNew);
            m[r] = mNew;
            l[r] = Math.fma(l[r], alpha[r], sum);
        }
    }

    /**
     * Whether {@code x = fma(s, scale, -m)} may be used for a row whose running max is {@code m}: it rounds once
     * where {@code s*scale - m} rounds twice, so it is the more accurate, but {@code m} is itself {@code max(s*scale)}
     * rounded, so x can exceed 0 by that rounding, up to |m| 2^-24. Below 2^29 that excess stays under 32, far from
     * exp's overflow at 88.7; larger (or non-finite) running maxima use the two roundings, where x <= 0 exactly.
     */
    static boolean foldable(float m) {
        return Math.abs(m) < 0x1p29f;
    }

    /** Row r's running sum from its {@link #SUM_LANES} partial sums, added in a fixed order. */
    public static float rowSum(float[] l, int r) {
        return VECTOR ? TileVectorKernels.laneSum(l, r * SUM_LANES) : l[r];
    }

    // -------------------------------------------------------------------------------------------------------------
    // exp and tanh from basic IEEE operations only (Cephes expf/tanhf coefficients, about 2 ulp). The JDK's exp and
    // tanh may differ between the interpreter, C1 and C2 (SVML intrinsics for the Vector API's EXP and TANH), which
    // would make results depend on JIT timing; these give the same bits in every mode, vector and scalar alike.

    static final float EXP_LO = -87.33654f, EXP_HI = 88.72283f;
    static final float LOG2E = 1.44269504088896341f, MAGIC = 12582912f;   // 1.5 * 2^23: round to nearest integer
    static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    static final float E5 = 1.9875691500e-4f, E4 = 1.3981999507e-3f, E3 = 8.3334519073e-3f, E2 = 4.1665795894e-2f,
            E1 = 1.6666665459e-1f, E0 = 5.0000001201e-1f;
    static final float T4 = -5.70498872745e-3f, T3 = 2.06390887954e-2f, T2 = -5.37397155531e-2f,
            T1 = 1.33314422036e-1f, T0 = -3.33332819422e-1f, TANH_SMALL = 0.625f;

    /** {@code e^x}: exactly 0 below -87.3 (so {@code -inf} gives 0), NaN for NaN. */
    public static float exp(float x) {
        if (x < EXP_LO) return 0f;
        float xc = Math.min(x, EXP_HI);
        float t = Math.fma(xc, LOG2E, MAGIC);               // MAGIC + round(x log2 e)
        float k = t - MAGIC;
        float r = Math.fma(k, -LN2_HI, xc);
        r = Math.fma(k, -LN2_LO, r);                         // r = x - k ln 2, |r| <= ln2 / 2
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(E5, r, E4), r, E3), r, E2), r, E1), r, E0);
        float y = Math.fma(p, r * r, r) + 1f;                // e^r
        int bits = (Float.floatToRawIntBits(t) - 0x4B400000 + 127) << 23;    // 2^k
        return y * Float.intBitsToFloat(bits);
    }

    /** {@code tanh(x)}: an odd polynomial below 0.625, {@code 1 - 2/(e^2|x| + 1)} above. */
    public static float tanh(float x) {
        float a = Math.abs(x);
        if (a < TANH_SMALL) {
            float z = x * x;
            float p = Math.fma(Math.fma(Math.fma(Math.fma(T4, z, T3), z, T2), z, T1), z, T0);
            return Math.fma(p * z, x, x);
        }
        float t = 1f - 2f / (exp(2f * a) + 1f);
        return x < 0 ? -t : Float.isNaN(x) ? x : t;
    }
}
