package dev.attest.backends.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API twins of the kernels in {@link TileKernels} (reached only through it, and only when the flag is on).
 * Each loops over whole vectors and hands its tail to the scalar twin.
 */
final class TileVectorKernels {
    /**
     * The platform's preferred width: 8 floats on AVX2 (this project's reference machine, 16 ymm registers), 16 on AVX-512.
     */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final int COL_BLOCK = 2 * L;

    private TileVectorKernels() {
    }

    /**
     * Accumulator vectors per register block row: 4 when the machine has 32 vector registers (AVX-512, where the
     * preferred species is 16 floats; NEON/SVE), 2 with AVX2's 16. A 6 x 4 block holds 24 accumulators + 4 loads +
     * 1 broadcast = 29 registers and needs 10 loads per 24 FMAs, against 8 per 12 for 6 x 2: measured 105-110
     * against 84 GFLOP/s on one Zen 4 core (FMA peak 117), for a 48 x 64 x 64 tile in L1.
     */
    static final boolean WIDE = L >= 16 || "aarch64".equals(System.getProperty("os.arch"));

    /** S = Q Kt: 6 rows x 4 vectors per register block where {@link #WIDE}, then 6 x 2 (cols is a COL_BLOCK multiple). */
    static void scores(float[] q, int qOff, int ldq, float[] kt, int ktOff, int ldk, float[] s, int sOff, int lds,
                       int rows, int cols, int depth) {
        for (int r = 0; r < rows; r += 6) {
            int q0 = qOff + r * ldq;
            int s0 = sOff + r * lds;
            int c = 0;
            if (WIDE) {
                for (; c + 4 * L <= cols; c += 4 * L) scores6x4(q, q0, ldq, kt, ktOff + c, ldk, s, s0 + c, lds, depth);
            }
            for (; c < cols; c += 2 * L) scores6x2(q, q0, ldq, kt, ktOff + c, ldk, s, s0 + c, lds, depth);
        }
    }

    /** One 6 x 4-vector block of S: 24 accumulators, Kt read from {@code k} (= &Kt[0][c]) down the depth. */
    private static void scores6x4(float[] q, int q0, int ldq, float[] kt, int k, int ldk, float[] s, int s0, int lds,
                                  int depth) {
        int q1 = q0 + ldq, q2 = q1 + ldq, q3 = q2 + ldq, q4 = q3 + ldq, q5 = q4 + ldq;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00;
        FloatVector a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00;
        FloatVector a33 = a00, a40 = a00, a41 = a00, a42 = a00, a43 = a00, a50 = a00, a51 = a00, a52 = a00;
        FloatVector a53 = a00;
        for (int d = 0; d < depth; d++, k += ldk) {
            FloatVector k0 = FloatVector.fromArray(F, kt, k), k1 = FloatVector.fromArray(F, kt, k + L);
            FloatVector k2 = FloatVector.fromArray(F, kt, k + 2 * L), k3 = FloatVector.fromArray(F, kt, k + 3 * L);
            FloatVector b = FloatVector.broadcast(F, q[q0 + d]);
            a00 = b.fma(k0, a00); a01 = b.fma(k1, a01); a02 = b.fma(k2, a02); a03 = b.fma(k3, a03);
            b = FloatVector.broadcast(F, q[q1 + d]);
            a10 = b.fma(k0, a10); a11 = b.fma(k1, a11); a12 = b.fma(k2, a12); a13 = b.fma(k3, a13);
            b = FloatVector.broadcast(F, q[q2 + d]);
            a20 = b.fma(k0, a20); a21 = b.fma(k1, a21); a22 = b.fma(k2, a22); a23 = b.fma(k3, a23);
            b = FloatVector.broadcast(F, q[q3 + d]);
            a30 = b.fma(k0, a30); a31 = b.fma(k1, a31); a32 = b.fma(k2, a32); a33 = b.fma(k3, a33);
            b = FloatVector.broadcast(F, q[q4 + d]);
            a40 = b.fma(k0, a40); a41 = b.fma(k1, a41); a42 = b.fma(k2, a42); a43 = b.fma(k3, a43);
            b = FloatVector.broadcast(F, q[q5 + d]);
            a50 = b.fma(k0, a50); a51 = b.fma(k1, a51); a52 = b.fma(k2, a52); a53 = b.fma(k3, a53);
        }
        a00.intoArray(s, s0); a01.intoArray(s, s0 + L); a02.intoArray(s, s0 + 2 * L); a03.intoArray(s, s0 + 3 * L);
        a10.intoArray(s, s0 + lds); a11.intoArray(s, s0 + lds + L); a12.intoArray(s, s0 + lds + 2 * L); a13.intoArray(s, s0 + lds + 3 * L);
        a20.intoArray(s, s0 + 2 * lds); a21.intoArray(s, s0 + 2 * lds + L); a22.intoArray(s, s0 + 2 * lds + 2 * L); a23.intoArray(s, s0 + 2 * lds + 3 * L);
        a30.intoArray(s, s0 + 3 * lds); a31.intoArray(s, s0 + 3 * lds + L); a32.intoArray(s, s0 + 3 * lds + 2 * L); a33.intoArray(s, s0 + 3 * lds + 3 * L);
        a40.intoArray(s, s0 + 4 * lds); a41.intoArray(s, s0 + 4 * lds + L); a42.intoArray(s, s0 + 4 * lds + 2 * L); a43.intoArray(s, s0 + 4 * lds + 3 * L);
        a50.intoArray(s, s0 + 5 * lds); a51.intoArray(s, s0 + 5 * lds + L); a52.intoArray(s, s0 + 5 * lds + 2 * L); a53.intoArray(s, s0 + 5 * lds + 3 * L);
    }

    /** One 6 x 2-vector block of S: 12 accumulators + 2 loads + 1 broadcast fit AVX2's 16 registers. */
    private static void scores6x2(float[] q, int q0, int ldq, float[] kt, int k, int ldk, float[] s, int s0, int lds,
                                  int depth) {
        int q1 = q0 + ldq, q2 = q1 + ldq, q3 = q2 + ldq, q4 = q3 + ldq, q5 = q4 + ldq;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
        FloatVector a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
        for (int d = 0; d < depth; d++, k += ldk) {
            FloatVector k0 = FloatVector.fromArray(F, kt, k), k1 = FloatVector.fromArray(F, kt, k + L);
            FloatVector b = FloatVector.broadcast(F, q[q0 + d]);
            a00 = b.fma(k0, a00); a01 = b.fma(k1, a01);
            b = FloatVector.broadcast(F, q[q1 + d]);
            a10 = b.fma(k0, a10); a11 = b.fma(k1, a11);
            b = FloatVector.broadcast(F, q[q2 + d]);
            a20 = b.fma(k0, a20); a21 = b.fma(k1, a21);
            b = FloatVector.broadcast(F, q[q3 + d]);
            a30 = b.fma(k0, a30); a31 = b.fma(k1, a31);
            b = FloatVector.broadcast(F, q[q4 + d]);
            a40 = b.fma(k0, a40); a41 = b.fma(k1, a41);
            b = FloatVector.broadcast(F, q[q5 + d]);
            a50 = b.fma(k0, a50); a51 = b.fma(k1, a51);
        }
        a00.intoArray(s, s0); a01.intoArray(s, s0 + L);
        a10.intoArray(s, s0 + lds); a11.intoArray(s, s0 + lds + L);
        a20.intoArray(s, s0 + 2 * lds); a21.intoArray(s, s0 + 2 * lds + L);
        a30.intoArray(s, s0 + 3 * lds); a31.intoArray(s, s0 + 3 * lds + L);
        a40.intoArray(s, s0 + 4 * lds); a41.intoArray(s, s0 + 4 * lds + L);
        a50.intoArray(s, s0 + 5 * lds); a51.intoArray(s, s0 + 5 * lds + L);
    }

    /**
     * O = diag(alpha) O + P V for 6-row blocks: the rescale first (rows whose alpha is not 1), then 6 x 4 vectors of
     * O per register block where {@link #WIDE}, then 6 x 2, then 6 x 1, then the scalar tail. The rescale is not
     * folded into the accumulator loads: 24 more vector calls push the 6 x 4 block past C2's inlining budget, and
     * its vectors end up boxed (8 instead of 105 GFLOP/s).
     */
    static void accumulate(float[] p, int pOff, int ldp, float[] v, int vOff, int ldv, float[] o, int oOff, int ldo,
                           float[] alpha, int rows, int keys, int width) {
        for (int r = 0; r < rows; r++) {
            if (alpha[r] != 1f) scale(o, oOff + r * ldo, width, alpha[r]);
        }
        for (int r = 0; r < rows; r += 6) {
            int p0 = pOff + r * ldp, o0 = oOff + r * ldo;
            int d = 0;
            if (WIDE) {
                for (; d + 4 * L <= width; d += 4 * L) {
                    accumulate6x4(p, p0, ldp, v, vOff + d, ldv, o, o0 + d, ldo, keys);
                }
            }
            for (; d + 2 * L <= width; d += 2 * L) accumulate6x2(p, p0, ldp, v, vOff + d, ldv, o, o0 + d, ldo, keys);
            for (; d + L <= width; d += L) accumulate6x1(p, p0, ldp, v, vOff + d, ldv, o, o0 + d, ldo, keys);
            if (d < width) TileKernels.accumulateScalar(p, p0, ldp, v, vOff, ldv, o, o0, ldo, null, r, 6, keys, d, width);
        }
    }

    /** Rows r0..r0+5 of O, 4 vectors from {@code o0}, against V from {@code vj} (= &V[0][d]). */
    private static void accumulate6x4(float[] p, int p0, int ldp, float[] v, int vj, int ldv, float[] o, int o0,
                                      int ldo, int keys) {
        int p1 = p0 + ldp, p2 = p1 + ldp, p3 = p2 + ldp, p4 = p3 + ldp, p5 = p4 + ldp;
        int o1 = o0 + ldo, o2 = o1 + ldo, o3 = o2 + ldo, o4 = o3 + ldo, o5 = o4 + ldo;
        FloatVector a00 = load(o, o0), a01 = load(o, o0 + L), a02 = load(o, o0 + 2 * L), a03 = load(o, o0 + 3 * L);
        FloatVector a10 = load(o, o1), a11 = load(o, o1 + L), a12 = load(o, o1 + 2 * L), a13 = load(o, o1 + 3 * L);
        FloatVector a20 = load(o, o2), a21 = load(o, o2 + L), a22 = load(o, o2 + 2 * L), a23 = load(o, o2 + 3 * L);
        FloatVector a30 = load(o, o3), a31 = load(o, o3 + L), a32 = load(o, o3 + 2 * L), a33 = load(o, o3 + 3 * L);
        FloatVector a40 = load(o, o4), a41 = load(o, o4 + L), a42 = load(o, o4 + 2 * L), a43 = load(o, o4 + 3 * L);
        FloatVector a50 = load(o, o5), a51 = load(o, o5 + L), a52 = load(o, o5 + 2 * L), a53 = load(o, o5 + 3 * L);
        for (int j = 0; j < keys; j++, vj += ldv) {
            FloatVector v0 = FloatVector.fromArray(F, v, vj), v1 = FloatVector.fromArray(F, v, vj + L);
            FloatVector v2 = FloatVector.fromArray(F, v, vj + 2 * L), v3 = FloatVector.fromArray(F, v, vj + 3 * L);
            FloatVector b = FloatVector.broadcast(F, p[p0 + j]);
            a00 = b.fma(v0, a00); a01 = b.fma(v1, a01); a02 = b.fma(v2, a02); a03 = b.fma(v3, a03);
            b = FloatVector.broadcast(F, p[p1 + j]);
            a10 = b.fma(v0, a10); a11 = b.fma(v1, a11); a12 = b.fma(v2, a12); a13 = b.fma(v3, a13);
            b = FloatVector.broadcast(F, p[p2 + j]);
            a20 = b.fma(v0, a20); a21 = b.fma(v1, a21); a22 = b.fma(v2, a22); a23 = b.fma(v3, a23);
            b = FloatVector.broadcast(F, p[p3 + j]);
            a30 = b.fma(v0, a30); a31 = b.fma(v1, a31); a32 = b.fma(v2, a32); a33 = b.fma(v3, a33);
            b = FloatVector.broadcast(F, p[p4 + j]);
            a40 = b.fma(v0, a40); a41 = b.fma(v1, a41); a42 = b.fma(v2, a42); a43 = b.fma(v3, a43);
            b = FloatVector.broadcast(F, p[p5 + j]);
            a50 = b.fma(v0, a50); a51 = b.fma(v1, a51); a52 = b.fma(v2, a52); a53 = b.fma(v3, a53);
        }
        a00.intoArray(o, o0); a01.intoArray(o, o0 + L); a02.intoArray(o, o0 + 2 * L); a03.intoArray(o, o0 + 3 * L);
        a10.intoArray(o, o1); a11.intoArray(o, o1 + L); a12.intoArray(o, o1 + 2 * L); a13.intoArray(o, o1 + 3 * L);
        a20.intoArray(o, o2); a21.intoArray(o, o2 + L); a22.intoArray(o, o2 + 2 * L); a23.intoArray(o, o2 + 3 * L);
        a30.intoArray(o, o3); a31.intoArray(o, o3 + L); a32.intoArray(o, o3 + 2 * L); a33.intoArray(o, o3 + 3 * L);
        a40.intoArray(o, o4); a41.intoArray(o, o4 + L); a42.intoArray(o, o4 + 2 * L); a43.intoArray(o, o4 + 3 * L);
        a50.intoArray(o, o5); a51.intoArray(o, o5 + L); a52.intoArray(o, o5 + 2 * L); a53.intoArray(o, o5 + 3 * L);
    }

    /** Rows r0..r0+5 of O, 2 vectors from {@code o0}. */
    private static void accumulate6x2(float[] p, int p0, int ldp, float[] v, int vj, int ldv, float[] o, int o0,
                                      int ldo, int keys) {
        int p1 = p0 + ldp, p2 = p1 + ldp, p3 = p2 + ldp, p4 = p3 + ldp, p5 = p4 + ldp;
        int o1 = o0 + ldo, o2 = o1 + ldo, o3 = o2 + ldo, o4 = o3 + ldo, o5 = o4 + ldo;
        FloatVector a00 = load(o, o0), a01 = load(o, o0 + L);
        FloatVector a10 = load(o, o1), a11 = load(o, o1 + L);
        FloatVector a20 = load(o, o2), a21 = load(o, o2 + L);
        FloatVector a30 = load(o, o3), a31 = load(o, o3 + L);
        FloatVector a40 = load(o, o4), a41 = load(o, o4 + L);
        FloatVector a50 = load(o, o5), a51 = load(o, o5 + L);
        for (int j = 0; j < keys; j++, vj += ldv) {
            FloatVector v0 = FloatVector.fromArray(F, v, vj), v1 = FloatVector.fromArray(F, v, vj + L);
            FloatVector b = FloatVector.broadcast(F, p[p0 + j]);
            a00 = b.fma(v0, a00); a01 = b.fma(v1, a01);
            b = FloatVector.broadcast(F, p[p1 + j]);
            a10 = b.fma(v0, a10); a11 = b.fma(v1, a11);
            b = FloatVector.broadcast(F, p[p2 + j]);
            a20 = b.fma(v0, a20); a21 = b.fma(v1, a21);
            b = FloatVector.broadcast(F, p[p3 + j]);
            a30 = b.fma(v0, a30); a31 = b.fma(v1, a31);
            b = FloatVector.broadcast(F, p[p4 + j]);
            a40 = b.fma(v0, a40); a41 = b.fma(v1, a41);
            b = FloatVector.broadcast(F, p[p5 + j]);
            a50 = b.fma(v0, a50); a51 = b.fma(v1, a51);
        }
        a00.intoArray(o, o0); a01.intoArray(o, o0 + L);
        a10.intoArray(o, o1); a11.intoArray(o, o1 + L);
        a20.intoArray(o, o2); a21.intoArray(o, o2 + L);
        a30.intoArray(o, o3); a31.intoArray(o, o3 + L);
        a40.intoArray(o, o4); a41.intoArray(o, o4 + L);
        a50.intoArray(o, o5); a51.intoArray(o, o5 + L);
    }

    /** Rows r0..r0+5 of O, 1 vector from {@code o0}. */
    private static void accumulate6x1(float[] p, int p0, int ldp, float[] v, int vj, int ldv, float[] o, int o0,
                                      int ldo, int keys) {
        int p1 = p0 + ldp, p2 = p1 + ldp, p3 = p2 + ldp, p4 = p3 + ldp, p5 = p4 + ldp;
        int o1 = o0 + ldo, o2 = o1 + ldo, o3 = o2 + ldo, o4 = o3 + ldo, o5 = o4 + ldo;
        FloatVector a0 = load(o, o0), a1 = load(o, o1), a2 = load(o, o2);
        FloatVector a3 = load(o, o3), a4 = load(o, o4), a5 = load(o, o5);
        for (int j = 0; j < keys; j++, vj += ldv) {
            FloatVector v0 = FloatVector.fromArray(F, v, vj);
            a0 = FloatVector.broadcast(F, p[p0 + j]).fma(v0, a0);
            a1 = FloatVector.broadcast(F, p[p1 + j]).fma(v0, a1);
            a2 = FloatVector.broadcast(F, p[p2 + j]).fma(v0, a2);
            a3 = FloatVector.broadcast(F, p[p3 + j]).fma(v0, a3);
            a4 = FloatVector.broadcast(F, p[p4 + j]).fma(v0, a4);
            a5 = FloatVector.broadcast(F, p[p5 + j]).fma(v0, a5);
        }
        a0.intoArray(o, o0);
        a1.intoArray(o, o1);
        a2.intoArray(o, o2);
        a3.intoArray(o, o3);
        a4.intoArray(o, o4);
        a5.intoArray(o, o5);
    }

    /**
     * Loads may go through a helper (a small method returning a vector is always inlined); stores may not: a
     * helper taking 4 vectors is too large to inline where it is not hot, and the vectors it takes get boxed
     * (10 instead of 105 GFLOP/s). So every store below is written out.
     */
    private static FloatVector load(float[] x, int off) {
        return FloatVector.fromArray(F, x, off);
    }

    /**
     * {@link TileKernels#onlineSoftmax}: the running sum of row r is kept as {@code L} lane partial sums
     * ({@code l[r*L .. r*L+L)}) so that no horizontal add is paid per tile.
     */
    static void onlineSoftmax(float[] s, int lds, int rows, int n, int width, float scale, float[] m, float[] alpha,
                              float[] l) {
        FloatVector vscale = FloatVector.broadcast(F, scale);
        VectorMask<Float> outside = F.indexInRange(n - n % L, n).not();   // lanes of the last vector past n
        FloatVector log2e = c(TileKernels.LOG2E), magic = c(TileKernels.MAGIC), ln2Hi = c(-TileKernels.LN2_HI);
        FloatVector ln2Lo = c(-TileKernels.LN2_LO), e5 = c(TileKernels.E5), e4 = c(TileKernels.E4);
        FloatVector e3 = c(TileKernels.E3), e2 = c(TileKernels.E2), e1 = c(TileKernels.E1), e0 = c(TileKernels.E0);
        // three passes over the rows, each row independent of the others within a pass, so the core overlaps
        // rows instead of waiting on one row's horizontal max (a chain of ~25 dependent operations)
        for (int r = 0, off = 0; r < rows; r++, off += lds) {
            FloatVector first = FloatVector.broadcast(F, s[off]);    // a real score: neutral filler for the max
            IntVector vmax = orderKey(first);
            int i = 0;
            for (; i + L <= n; i += L) vmax = vmax.max(orderKey(FloatVector.fromArray(F, s, off + i)));
            if (i < n) vmax = vmax.max(orderKey(FloatVector.fromArray(F, s, off + i).blend(first, outside)));
            int key = vmax.reduceLanes(VectorOperators.MAX);
            alpha[r] = Float.intBitsToFloat(key ^ (key >> 31 >>> 1)) * scale;   // the tile's row max, for now
        }
        for (int r = 0, off = 0; r < rows; r++, off += lds) {
            float rowMax = alpha[r];
            // a NaN with the sign bit set orders below -inf: a row of such NaN and hidden keys must still give NaN
            if (rowMax == Float.NEGATIVE_INFINITY && hasNaN(s, off, n)) rowMax = Float.NaN;
            if (rowMax == Float.NEGATIVE_INFINITY) {         // nothing visible in this tile: p = 0, O and l unchanged
                alpha[r] = 1f;
                continue;
            }
            float mNew = Math.max(m[r], rowMax);
            alpha[r] = TileKernels.exp(m[r] - mNew);         // 0 on the row's first visible tile
            m[r] = mNew;
        }
        for (int r = 0, off = 0; r < rows; r++, off += lds) {
            if (m[r] == Float.NEGATIVE_INFINITY) {           // no key visible yet (a tile with none for a row whose
                java.util.Arrays.fill(s, off, off + width, 0f); // m is finite gets p = exp(-inf) = 0 below)
                continue;
            }
            FloatVector negM = FloatVector.broadcast(F, -m[r]), sum = FloatVector.zero(F);
            boolean fma = TileKernels.foldable(m[r]);
            int i = 0;
            for (; i < n; i += L) {
                // exp(x), written out: C2 judges this call site cold (4 trips per row) and would not inline a
                // 173-byte exp(FloatVector), boxing its argument (0.78 instead of 0.2 ns per element). No clamp
                // at EXP_HI: x is at most the rounding excess of m, far below it (TileKernels.foldable)
                FloatVector sv = FloatVector.fromArray(F, s, off + i);
                FloatVector xc = fma ? sv.fma(vscale, negM) : sv.mul(vscale).add(negM);
                VectorMask<Float> underflow = xc.lt(TileKernels.EXP_LO);
                FloatVector t = xc.fma(log2e, magic);
                FloatVector k = t.sub(magic);
                FloatVector red = k.fma(ln2Hi, xc);
                red = k.fma(ln2Lo, red);
                FloatVector poly = e5.fma(red, e4).fma(red, e3).fma(red, e2).fma(red, e1).fma(red, e0);
                FloatVector y = poly.fma(red.mul(red), red).add(1f);
                IntVector bits = ((IntVector) t.reinterpretAsInts()).sub(0x4B400000 - 127)
                        .lanewise(VectorOperators.LSHL, 23);
                FloatVector e = y.mul(bits.reinterpretAsFloats()).blend(0f, underflow);
                if (i + L > n) e = e.blend(0f, outside);
                e.intoArray(s, off + i);
                sum = sum.add(e);
            }
            if (i < width) java.util.Arrays.fill(s, off + i, off + width, 0f);
            FloatVector.fromArray(F, l, r * L).fma(FloatVector.broadcast(F, alpha[r]), sum).intoArray(l, r * L);
        }
    }

    private static boolean hasNaN(float[] s, int off, int n) {
        for (int c = 0; c < n; c++) if (Float.isNaN(s[off + c])) return true;
        return false;
    }

    /**
     * The float's bits as an int that orders like the float (negative values have their magnitude bits flipped),
     * so the row max is an integer max: one operation per vector instead of Java's NaN- and signed-zero-aware float
     * max, and a cheap horizontal reduction (0.07 against 0.12-0.5 ns per element). A NaN with the sign bit clear
     * (Java's) orders above +inf, with it set (x86's default NaN, as inf - inf gives) below -inf: onlineSoftmax
     * looks for that NaN only when a row's max comes out -inf, and anywhere else a NaN reaches the output through
     * exp.
     */
    static IntVector orderKey(FloatVector x) {
        IntVector bits = (IntVector) x.reinterpretAsInts();
        return bits.lanewise(VectorOperators.XOR, bits.lanewise(VectorOperators.ASHR, 31).lanewise(VectorOperators.LSHR, 1));
    }

    /** Lane partial sums of the running sum, added in lane order (not reduceLanes' unspecified one). */
    static float laneSum(float[] l, int off) {
        float sum = 0f;
        for (int k = 0; k < L; k++) sum += l[off + k];
        return sum;
    }

    static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector va = FloatVector.broadcast(F, a);
        int i = 0;
        for (; i + L <= n; i += L) {
            va.fma(FloatVector.fromArray(F, x, xOff + i), FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        TileKernels.axpyScalar(a, x, xOff, y, yOff, i, n);
    }

    static void scale(float[] x, int off, int n, float a) {
        int i = 0;
        for (; i + L <= n; i += L) FloatVector.fromArray(F, x, off + i).mul(a).intoArray(x, off + i);
        TileKernels.scaleScalar(x, off, i, n, a);
    }

    static void divide(float[] x, int xOff, float[] y, int yOff, int n, float d) {
        int i = 0;
        for (; i + L <= n; i += L) FloatVector.fromArray(F, x, xOff + i).div(d).intoArray(y, yOff + i);
        TileKernels.divideScalar(x, xOff, y, yOff, i, n, d);
    }

    static boolean allFinite(float[] x, int off, int n) {
        FloatVector zero = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, off + i);
            zero = zero.add(v.sub(v));
        }
        return !zero.test(VectorOperators.IS_NAN).anyTrue() && TileKernels.allFiniteScalar(x, off, i, n);
    }

    static void softcap(float[] x, int off, int n, float c) {
        int i = 0;
        for (; i + L <= n; i += L) {
            tanh(FloatVector.fromArray(F, x, off + i).div(c)).mul(c).intoArray(x, off + i);
        }
        TileKernels.softcapScalar(x, off, i, n, c);
    }

    /** Lane-wise {@link TileKernels#exp}, the same operations in the same order (written out in onlineSoftmax). */
    static FloatVector exp(FloatVector x) {
        VectorMask<Float> underflow = x.lt(TileKernels.EXP_LO);
        FloatVector xc = x.min(TileKernels.EXP_HI);
        FloatVector t = xc.fma(TileKernels.LOG2E, TileKernels.MAGIC);
        FloatVector k = t.sub(TileKernels.MAGIC);
        FloatVector r = k.fma(c(-TileKernels.LN2_HI), xc);
        r = k.fma(c(-TileKernels.LN2_LO), r);
        FloatVector p = FloatVector.broadcast(F, TileKernels.E5).fma(r, c(TileKernels.E4)).fma(r, c(TileKernels.E3))
                .fma(r, c(TileKernels.E2)).fma(r, c(TileKernels.E1)).fma(r, c(TileKernels.E0));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector bits = ((IntVector) t.reinterpretAsInts()).sub(0x4B400000 - 127).lanewise(VectorOperators.LSHL, 23);
        return y.mul(bits.reinterpretAsFloats()).blend(0f, underflow);
    }

    private static FloatVector c(float value) {
        return FloatVector.broadcast(F, value);
    }

    /** Lane-wise {@link TileKernels#tanh}. */
    static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector z = x.mul(x);
        FloatVector p = FloatVector.broadcast(F, TileKernels.T4).fma(z, c(TileKernels.T3)).fma(z, c(TileKernels.T2))
                .fma(z, c(TileKernels.T1)).fma(z, c(TileKernels.T0));
        FloatVector small = p.mul(z).fma(x, x);
        FloatVector big = FloatVector.broadcast(F, 1f).sub(FloatVector.broadcast(F, 2f).div(exp(a.mul(2f)).add(1f)));
        big = big.blend(big.neg(), x.lt(0f));
        big = big.blend(x, x.test(VectorOperators.IS_NAN));
        return big.blend(small, a.lt(TileKernels.TANH_SMALL));
    }
}
