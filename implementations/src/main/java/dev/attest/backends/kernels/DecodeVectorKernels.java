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
 * are bit manipulations that give exactly {@link dev.attest.reference.ElementType#decode}, with no float subnormal
 * on the way (a subnormal operand costs a microcode assist on many x86 cores).
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

    private DecodeVectorKernels() {
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

    /**
     * E4M3 S.EEEE.MMM: a normal value moves its exponent and mantissa into fp32's fields and rebiases (+120); a
     * subnormal (E = 0) is M x 2^-9; S.1111.111 is NaN; the sign goes back on last. Every choice is a blend of int
     * lanes under an int mask (a mask cast to float lanes is not intrinsified everywhere and would box).
     */
    static int widenE4m3(byte[] x, int off, int n, float[] dst, int dstOff) {
        int i = 0;
        for (; i + L <= n; i += L) {
            IntVector b = ints(ByteVector.fromArray(B, x, off + i));
            IntVector mag = b.and(0x7f);
            IntVector normal = mag.lanewise(VectorOperators.LSHL, 20).add(120 << 23);
            IntVector sub = (IntVector) ((FloatVector) mag.convert(VectorOperators.I2F, 0)).mul(0x1p-9f)
                    .reinterpretAsInts();
            IntVector bits = normal.blend(sub, mag.lt(8)).blend(0x7fc00000, mag.eq(0x7f));
            bits.or(b.and(0x80).lanewise(VectorOperators.LSHL, 24)).reinterpretAsFloats().intoArray(dst, dstOff + i);
        }
        return i;
    }

    /**
     * E5M2 S.EEEEE.MM is binary16's top byte: normal values rebias by +112; a subnormal (E = 0) is M x 2^-16; E = 31
     * is infinity (M = 0) or NaN.
     */
    static int widenE5m2(byte[] x, int off, int n, float[] dst, int dstOff) {
        int i = 0;
        for (; i + L <= n; i += L) {
            IntVector b = ints(ByteVector.fromArray(B, x, off + i));
            IntVector mag = b.and(0x7f);
            IntVector normal = mag.lanewise(VectorOperators.LSHL, 21).add(112 << 23);
            IntVector sub = (IntVector) ((FloatVector) mag.convert(VectorOperators.I2F, 0)).mul(0x1p-16f)
                    .reinterpretAsInts();
            IntVector bits = normal.blend(sub, mag.lt(4))
                    .blend(0x7f800000, mag.eq(0x7c))
                    .blend(0x7fc00000, mag.compare(VectorOperators.GT, 0x7c));
            bits.or(b.and(0x80).lanewise(VectorOperators.LSHL, 24)).reinterpretAsFloats().intoArray(dst, dstOff + i);
        }
        return i;
    }

    static float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= n; i += L) {
            acc = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromArray(F, y, yOff + i), acc);
        }
        // reduceLanes' order is unspecified but fixed for a platform: two runs still agree bit for bit
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += x[xOff + i] * y[yOff + i];
        return s;
    }
}
