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
    private static final int L = F.length();
    static final int COL_BLOCK = 2 * L;

    private TileVectorKernels() {
    }

    /**
     * 6 query rows x 2 vectors of keys per register block: 12 accumulators cover the FMA latency x throughput
     * product (5 cycles x 2 pipes on Zen), plus 2 key loads and 1 broadcast = 15 of the 16 ymm registers.
     */
    static void scores(float[] q, int qOff, int ldq, float[] kt, int ktOff, int ldk, float[] s, int sOff, int lds,
                       int rows, int cols, int depth) {
        for (int r = 0; r < rows; r += 6) {
            int q0 = qOff + r * ldq, q1 = q0 + ldq, q2 = q1 + ldq, q3 = q2 + ldq, q4 = q3 + ldq, q5 = q4 + ldq;
            for (int c = 0; c < cols; c += 2 * L) {
                FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
                FloatVector a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
                int k = ktOff + c;                               // &Kt[0][c]
                for (int d = 0; d < depth; d++, k += ldk) {
                    FloatVector k0 = FloatVector.fromArray(F, kt, k), k1 = FloatVector.fromArray(F, kt, k + L);
                    FloatVector b = FloatVector.broadcast(F, q[q0 + d]);
                    a00 = b.fma(k0, a00);
                    a01 = b.fma(k1, a01);
                    b = FloatVector.broadcast(F, q[q1 + d]);
                    a10 = b.fma(k0, a10);
                    a11 = b.fma(k1, a11);
                    b = FloatVector.broadcast(F, q[q2 + d]);
                    a20 = b.fma(k0, a20);
                    a21 = b.fma(k1, a21);
                    b = FloatVector.broadcast(F, q[q3 + d]);
                    a30 = b.fma(k0, a30);
                    a31 = b.fma(k1, a31);
                    b = FloatVector.broadcast(F, q[q4 + d]);
                    a40 = b.fma(k0, a40);
                    a41 = b.fma(k1, a41);
                    b = FloatVector.broadcast(F, q[q5 + d]);
                    a50 = b.fma(k0, a50);
                    a51 = b.fma(k1, a51);
                }
                int s0 = sOff + r * lds + c;
                a00.intoArray(s, s0);
                a01.intoArray(s, s0 + L);
                a10.intoArray(s, s0 + lds);
                a11.intoArray(s, s0 + lds + L);
                a20.intoArray(s, s0 + 2 * lds);
                a21.intoArray(s, s0 + 2 * lds + L);
                a30.intoArray(s, s0 + 3 * lds);
                a31.intoArray(s, s0 + 3 * lds + L);
                a40.intoArray(s, s0 + 4 * lds);
                a41.intoArray(s, s0 + 4 * lds + L);
                a50.intoArray(s, s0 + 5 * lds);
                a51.intoArray(s, s0 + 5 * lds + L);
            }
        }
    }

    /** 6 rows x 2 vectors of the output per register block, then 6 x 1 vector, then the scalar tail. */
    static void accumulate(float[] p, int pOff, int ldp, float[] v, int vOff, int ldv, float[] o, int oOff, int ldo,
                           int rows, int keys, int width) {
        for (int r = 0; r < rows; r += 6) {
            int p0 = pOff + r * ldp, p1 = p0 + ldp, p2 = p1 + ldp, p3 = p2 + ldp, p4 = p3 + ldp, p5 = p4 + ldp;
            int o0 = oOff + r * ldo, o1 = o0 + ldo, o2 = o1 + ldo, o3 = o2 + ldo, o4 = o3 + ldo, o5 = o4 + ldo;
            int d = 0;
            for (; d + 2 * L <= width; d += 2 * L) {
                FloatVector a00 = FloatVector.fromArray(F, o, o0 + d), a01 = FloatVector.fromArray(F, o, o0 + d + L);
                FloatVector a10 = FloatVector.fromArray(F, o, o1 + d), a11 = FloatVector.fromArray(F, o, o1 + d + L);
                FloatVector a20 = FloatVector.fromArray(F, o, o2 + d), a21 = FloatVector.fromArray(F, o, o2 + d + L);
                FloatVector a30 = FloatVector.fromArray(F, o, o3 + d), a31 = FloatVector.fromArray(F, o, o3 + d + L);
                FloatVector a40 = FloatVector.fromArray(F, o, o4 + d), a41 = FloatVector.fromArray(F, o, o4 + d + L);
                FloatVector a50 = FloatVector.fromArray(F, o, o5 + d), a51 = FloatVector.fromArray(F, o, o5 + d + L);
                int vj = vOff + d;                               // &V[0][d]
                for (int j = 0; j < keys; j++, vj += ldv) {
                    FloatVector v0 = FloatVector.fromArray(F, v, vj), v1 = FloatVector.fromArray(F, v, vj + L);
                    FloatVector b = FloatVector.broadcast(F, p[p0 + j]);
                    a00 = b.fma(v0, a00);
                    a01 = b.fma(v1, a01);
                    b = FloatVector.broadcast(F, p[p1 + j]);
                    a10 = b.fma(v0, a10);
                    a11 = b.fma(v1, a11);
                    b = FloatVector.broadcast(F, p[p2 + j]);
                    a20 = b.fma(v0, a20);
                    a21 = b.fma(v1, a21);
                    b = FloatVector.broadcast(F, p[p3 + j]);
                    a30 = b.fma(v0, a30);
                    a31 = b.fma(v1, a31);
                    b = FloatVector.broadcast(F, p[p4 + j]);
                    a40 = b.fma(v0, a40);
                    a41 = b.fma(v1, a41);
                    b = FloatVector.broadcast(F, p[p5 + j]);
                    a50 = b.fma(v0, a50);
                    a51 = b.fma(v1, a51);
                }
                a00.intoArray(o, o0 + d);
                a01.intoArray(o, o0 + d + L);
                a10.intoArray(o, o1 + d);
                a11.intoArray(o, o1 + d + L);
                a20.intoArray(o, o2 + d);
                a21.intoArray(o, o2 + d + L);
                a30.intoArray(o, o3 + d);
                a31.intoArray(o, o3 + d + L);
                a40.intoArray(o, o4 + d);
                a41.intoArray(o, o4 + d + L);
                a50.intoArray(o, o5 + d);
                a51.intoArray(o, o5 + d + L);
            }
            for (; d + L <= width; d += L) {
                FloatVector a0 = FloatVector.fromArray(F, o, o0 + d), a1 = FloatVector.fromArray(F, o, o1 + d);
                FloatVector a2 = FloatVector.fromArray(F, o, o2 + d), a3 = FloatVector.fromArray(F, o, o3 + d);
                FloatVector a4 = FloatVector.fromArray(F, o, o4 + d), a5 = FloatVector.fromArray(F, o, o5 + d);
                int vj = vOff + d;
                for (int j = 0; j < keys; j++, vj += ldv) {
                    FloatVector v0 = FloatVector.fromArray(F, v, vj);
                    a0 = FloatVector.broadcast(F, p[p0 + j]).fma(v0, a0);
                    a1 = FloatVector.broadcast(F, p[p1 + j]).fma(v0, a1);
                    a2 = FloatVector.broadcast(F, p[p2 + j]).fma(v0, a2);
                    a3 = FloatVector.broadcast(F, p[p3 + j]).fma(v0, a3);
                    a4 = FloatVector.broadcast(F, p[p4 + j]).fma(v0, a4);
                    a5 = FloatVector.broadcast(F, p[p5 + j]).fma(v0, a5);
                }
                a0.intoArray(o, o0 + d);
                a1.intoArray(o, o1 + d);
                a2.intoArray(o, o2 + d);
                a3.intoArray(o, o3 + d);
                a4.intoArray(o, o4 + d);
                a5.intoArray(o, o5 + d);
            }
            if (d < width) TileKernels.accumulateScalar(p, p0, ldp, v, vOff, ldv, o, o0, ldo, 6, keys, d, width);
        }
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

    static void softcap(float[] x, int off, int n, float c) {
        int i = 0;
        for (; i + L <= n; i += L) {
            tanh(FloatVector.fromArray(F, x, off + i).div(c)).mul(c).intoArray(x, off + i);
        }
        TileKernels.softcapScalar(x, off, i, n, c);
    }

    static float max(float[] x, int off, int n) {
        int i = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (n >= L) {
            FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (; i + L <= n; i += L) m = m.max(FloatVector.fromArray(F, x, off + i));
            max = m.reduceLanes(VectorOperators.MAX);
        }
        return TileKernels.maxScalar(x, off, i, n, max);
    }

    static float expSum(float[] x, int off, int n, float m) {
        int i = 0;
        float sum = 0f;
        if (n >= L) {
            FloatVector acc = FloatVector.zero(F);
            for (; i + L <= n; i += L) {
                FloatVector e = exp(FloatVector.fromArray(F, x, off + i).sub(m));
                e.intoArray(x, off + i);
                acc = acc.add(e);
            }
            for (int k = 0; k < L; k++) sum += acc.lane(k);  // lane order, not reduceLanes' unspecified one
        }
        return sum + TileKernels.expSumScalar(x, off, i, n, m);
    }

    /** Lane-wise {@link TileKernels#exp}, the same operations in the same order. */
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
