package dev.attest.backends.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API twins of {@link DecodeKernels}. Each widening loop converts whole vectors of L elements (L = 8 on AVX2,
 * 16 on AVX-512) and returns how many it did; the caller finishes the tail with the scalar decoder. The conversions
 * are bit manipulations that give exactly {@link dev.attest.reference.ElementType#decode}. An fp8 subnormal passes
 * through an fp32 subnormal (a microcode assist on some Intel cores, rare: the descale keeps values near the top of
 * the format).
 */
final class DecodeVectorKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** L shorts or bytes: the narrow vector that widens into one float vector. */
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED.withShape(
            jdk.incubator.vector.VectorShape.forBitSize(16 * L));
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED.withShape(
            jdk.incubator.vector.VectorShape.forBitSize(8 * L));

    /** Shuffles for {@link #sum}: lane i takes lane i + w (mod L), for w = L/2, L/4, ..., 1. */
    private static final jdk.incubator.vector.VectorShuffle<Float>[] HALVES = halves();

    private DecodeVectorKernels() {
    }

    @SuppressWarnings("unchecked")
    private static jdk.incubator.vector.VectorShuffle<Float>[] halves() {
        int steps = Integer.numberOfTrailingZeros(L);
        jdk.incubator.vector.VectorShuffle<Float>[] shuffles = new jdk.incubator.vector.VectorShuffle[steps];
        for (int k = 0, w = L / 2; k < steps; k++, w /= 2) {
            int width = w;
            shuffles[k] = jdk.incubator.vector.VectorShuffle.fromOp(F, i -> (i + width) % L);
        }
        return shuffles;
    }

    /**
     * The lanes' sum in one fixed order, a pairwise tree (lane i + lane i + L/2, then + L/4, ...). Not
     * {@code reduceLanes(ADD)}: its order is unspecified, and the JIT's intrinsic and the interpreter's fallback
     * differ, so a step run before and after C2 compiles it would disagree in the last bits.
     */
    static float sum(FloatVector v) {
        for (jdk.incubator.vector.VectorShuffle<Float> half : HALVES) v = v.add(v.rearrange(half));
        return v.lane(0);
    }

    private static IntVector ints(ShortVector v) {
        return (IntVector) v.convertShape(VectorOperators.S2I, I, 0);
    }

    private static IntVector ints(ByteVector v) {
        return (IntVector) v.convertShape(VectorOperators.B2I, I, 0);
    }

    /** bf16 is fp32's top half: shift the bits up. */
    static int widenBf16(short[] x, int off, int n, float[] dst, int dstOff) {
        int i = 0;
        for (; i + L <= n; i += L) {
            ints(ShortVector.fromArray(S, x, off + i)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats()
                    .intoArray(dst, dstOff + i);
        }
        return i;
    }

    /** fp32 to bf16 bits, nearest-even on the 16 bits dropped, a NaN kept quiet ({@link TypedRows#toBf16}). */
    static int narrowBf16(float[] x, int off, int n, short[] dst, int dstOff) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, off + i);
            IntVector bits = (IntVector) v.reinterpretAsInts();
            IntVector rounded = bits.add(bits.lanewise(VectorOperators.LSHR, 16).and(1).add(0x7fff))
                    .lanewise(VectorOperators.LSHR, 16);
            IntVector nan = bits.lanewise(VectorOperators.LSHR, 16).or(0x40);
            // NaN tested on the int lanes: a float mask cast to int lanes is not intrinsified everywhere
            rounded = rounded.blend(nan, bits.and(0x7fffffff).compare(VectorOperators.GT, 0x7f800000));
            ((ShortVector) rounded.convertShape(VectorOperators.I2S, S, 0)).intoArray(dst, dstOff + i);
        }
        return i;
    }

    /**
     * E4M3 S.EEEE.MMM: exponent and mantissa moved into fp32's fields read as a float are the value times 2^-120,
     * subnormals included (an fp8 subnormal lands on an fp32 subnormal, which the multiply makes normal again, exactly);
     * S.1111.111 is NaN; the sign goes back on last. Ten lane operations per vector: on one AVX2 core this, not
     * memory, bounds a decode step over an fp8 cache.
     */
    static int widenE4m3(byte[] x, int off, int n, float[] dst, int dstOff) {
        int i = 0;
        for (; i + L <= n; i += L) {
            IntVector b = ints(ByteVector.fromArray(B, x, off + i));
            IntVector mag = b.and(0x7f);
            IntVector bits = (IntVector) ((FloatVector) mag.lanewise(VectorOperators.LSHL, 20).reinterpretAsFloats())
                    .mul(0x1p120f).reinterpretAsInts();
            bits = bits.blend(0x7fc00000, mag.eq(0x7f));
            bits.or(b.lanewise(VectorOperators.LSHL, 24).and(0x80000000)).reinterpretAsFloats()
                    .intoArray(dst, dstOff + i);
        }
        return i;
    }

    /**
     * E5M2 S.EEEEE.MM is binary16's top byte: the same move into fp32's fields, times 2^112; E = 31 is infinity
     * (M = 0) or NaN.
     */
    static int widenE5m2(byte[] x, int off, int n, float[] dst, int dstOff) {
        int i = 0;
        for (; i + L <= n; i += L) {
            IntVector b = ints(ByteVector.fromArray(B, x, off + i));
            IntVector mag = b.and(0x7f);
            IntVector bits = (IntVector) ((FloatVector) mag.lanewise(VectorOperators.LSHL, 21).reinterpretAsFloats())
                    .mul(0x1p112f).reinterpretAsInts();
            bits = bits.blend(mag.lanewise(VectorOperators.LSHL, 21).or(0x7f800000),
                    mag.compare(VectorOperators.GE, 0x7c));
            bits.or(b.lanewise(VectorOperators.LSHL, 24).and(0x80000000)).reinterpretAsFloats()
                    .intoArray(dst, dstOff + i);
        }
        return i;
    }

    /**
     * {@code o[oOff + d] += sum_s p[pOff + s] * v[vOff + s * ldv + d]}: four vectors of o held in registers across
     * all {@code n} rows (four independent chains), instead of o loaded and stored once per row.
     */
    static int weightedSum(float[] p, int pOff, float[] v, int vOff, int ldv, int n, float[] o, int oOff, int width) {
        int d = 0;
        for (; d + 4 * L <= width; d += 4 * L) {
            FloatVector a0 = FloatVector.fromArray(F, o, oOff + d), a1 = FloatVector.fromArray(F, o, oOff + d + L);
            FloatVector a2 = FloatVector.fromArray(F, o, oOff + d + 2 * L);
            FloatVector a3 = FloatVector.fromArray(F, o, oOff + d + 3 * L);
            for (int s = 0, row = vOff + d; s < n; s++, row += ldv) {
                FloatVector b = FloatVector.broadcast(F, p[pOff + s]);
                a0 = b.fma(FloatVector.fromArray(F, v, row), a0);
                a1 = b.fma(FloatVector.fromArray(F, v, row + L), a1);
                a2 = b.fma(FloatVector.fromArray(F, v, row + 2 * L), a2);
                a3 = b.fma(FloatVector.fromArray(F, v, row + 3 * L), a3);
            }
            a0.intoArray(o, oOff + d);
            a1.intoArray(o, oOff + d + L);
            a2.intoArray(o, oOff + d + 2 * L);
            a3.intoArray(o, oOff + d + 3 * L);
        }
        for (; d + L <= width; d += L) {
            FloatVector a = FloatVector.fromArray(F, o, oOff + d);
            for (int s = 0, row = vOff + d; s < n; s++, row += ldv) {
                a = FloatVector.broadcast(F, p[pOff + s]).fma(FloatVector.fromArray(F, v, row), a);
            }
            a.intoArray(o, oOff + d);
        }
        return d;
    }

    private static FloatVector bf16(short[] x, int at) {
        return ints(ShortVector.fromArray(S, x, at)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * {@link #dot} against bf16 bits, widened in registers (n a multiple of L; the caller checks). It and
     * {@link #weightedSumBf16} repeat their fp32 twins' loops with another load on purpose: a load passed in as a
     * function is a call site C2 may not inline, and every vector crossing it would be boxed.
     */
    static float dotBf16(float[] x, int xOff, short[] y, int yOff, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            a0 = FloatVector.fromArray(F, x, xOff + i).fma(bf16(y, yOff + i), a0);
            a1 = FloatVector.fromArray(F, x, xOff + i + L).fma(bf16(y, yOff + i + L), a1);
            a2 = FloatVector.fromArray(F, x, xOff + i + 2 * L).fma(bf16(y, yOff + i + 2 * L), a2);
            a3 = FloatVector.fromArray(F, x, xOff + i + 3 * L).fma(bf16(y, yOff + i + 3 * L), a3);
        }
        FloatVector acc = a0.add(a1).add(a2.add(a3));
        for (; i + L <= n; i += L) acc = FloatVector.fromArray(F, x, xOff + i).fma(bf16(y, yOff + i), acc);
        return sum(acc);
    }

    /** {@link #weightedSum} over bf16 rows, widened in registers (width a multiple of L; the caller checks). */
    static void weightedSumBf16(float[] p, int pOff, short[] v, int vOff, int ldv, int n, float[] o, int oOff,
                                int width) {
        int d = 0;
        for (; d + 4 * L <= width; d += 4 * L) {
            FloatVector a0 = FloatVector.fromArray(F, o, oOff + d), a1 = FloatVector.fromArray(F, o, oOff + d + L);
            FloatVector a2 = FloatVector.fromArray(F, o, oOff + d + 2 * L);
            FloatVector a3 = FloatVector.fromArray(F, o, oOff + d + 3 * L);
            for (int s = 0, row = vOff + d; s < n; s++, row += ldv) {
                FloatVector b = FloatVector.broadcast(F, p[pOff + s]);
                a0 = b.fma(bf16(v, row), a0);
                a1 = b.fma(bf16(v, row + L), a1);
                a2 = b.fma(bf16(v, row + 2 * L), a2);
                a3 = b.fma(bf16(v, row + 3 * L), a3);
            }
            a0.intoArray(o, oOff + d);
            a1.intoArray(o, oOff + d + L);
            a2.intoArray(o, oOff + d + 2 * L);
            a3.intoArray(o, oOff + d + 3 * L);
        }
        for (; d < width; d += L) {
            FloatVector a = FloatVector.fromArray(F, o, oOff + d);
            for (int s = 0, row = vOff + d; s < n; s++, row += ldv) a = FloatVector.broadcast(F, p[pOff + s]).fma(bf16(v, row), a);
            a.intoArray(o, oOff + d);
        }
    }

    static int lanes() {
        return L;
    }

    static float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            a0 = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromArray(F, y, yOff + i), a0);
            a1 = FloatVector.fromArray(F, x, xOff + i + L).fma(FloatVector.fromArray(F, y, yOff + i + L), a1);
            a2 = FloatVector.fromArray(F, x, xOff + i + 2 * L).fma(FloatVector.fromArray(F, y, yOff + i + 2 * L), a2);
            a3 = FloatVector.fromArray(F, x, xOff + i + 3 * L).fma(FloatVector.fromArray(F, y, yOff + i + 3 * L), a3);
        }
        FloatVector acc = a0.add(a1).add(a2.add(a3));
        for (; i + L <= n; i += L) {
            acc = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromArray(F, y, yOff + i), acc);
        }
        float s = sum(acc);
        for (; i < n; i++) s += x[xOff + i] * y[yOff + i];
        return s;
    }
}
