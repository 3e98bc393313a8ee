package dev.attest.reference;

import java.util.Locale;

/**
 * How a tensor's elements are stored: fp32, the two 16-bit formats (IEEE binary16 and bfloat16) and the two OCP fp8
 * formats (OCP 8-bit Floating Point Specification 1.0, 2023: E4M3 with no infinity and one NaN per sign, E5M2 with
 * IEEE-style infinities and NaNs). A backend receives and returns elements in these formats, as raw bits.
 *
 * <p>Every value of every format is exactly a float, so decoding is exact. Encoding rounds to nearest, ties to
 * even, through subnormals; a value that rounds past the largest finite value becomes what PyTorch's cast gives:
 * infinity where the format has one (fp16, bf16, E5M2), NaN for E4M3 ({@code torch.float8_e4m3fn}).
 * {@link #roundSaturating} clamps instead, as quantising kernels do after scaling.
 */
public enum ElementType {
    FP32(8, 23),
    FP16(5, 10),
    BF16(8, 7),
    FP8_E4M3(4, 3),
    FP8_E5M2(5, 2);

    private final int exponentBits;
    private final int mantissaBits;
    private final int bias;
    /** Exponent of the smallest normal value. */
    private final int minExponent;
    private final double maxFinite;

    ElementType(int exponentBits, int mantissaBits) {
        this.exponentBits = exponentBits;
        this.mantissaBits = mantissaBits;
        this.bias = (1 << (exponentBits - 1)) - 1;
        this.minExponent = 1 - bias;
        int maxExponent = (1 << exponentBits) - 2 - bias;
        double largestMantissa = 2 - Math.scalb(1.0, -mantissaBits);
        if (exponentBits == 4) {
            // E4M3 spends the all-ones exponent on normal values except S.1111.111 (NaN): max 1.75 * 2^8 = 448
            maxExponent += 1;
            largestMantissa -= Math.scalb(1.0, -mantissaBits);
        }
        this.maxFinite = largestMantissa * Math.scalb(1.0, maxExponent);
    }

    /** Bits per element: 32, 16 or 8. */
    public int bits() {
        return 1 + exponentBits + mantissaBits;
    }

    public boolean isFp8() {
        return bits() == 8;
    }

    public boolean hasInfinity() {
        return this != FP8_E4M3;
    }

    /** The largest finite value: 3.4e38, 65504, 3.39e38, 448, 57344. */
    public double maxFinite() {
        return maxFinite;
    }

    /** The smallest positive normal value. */
    public double minNormal() {
        return Math.scalb(1.0, minExponent);
    }

    /** The smallest positive (subnormal) value. */
    public double minSubnormal() {
        return Math.scalb(1.0, minExponent - mantissaBits);
    }

    /** Unit roundoff {@code 2^-(mantissa bits + 1)}: the relative error of one rounding to nearest. */
    public double unitRoundoff() {
        return Math.scalb(1.0, -(mantissaBits + 1));
    }

    /** The spacing of this format's values at {@code |x|} (one unit in the last place; the subnormal step near 0). */
    public double ulp(double x) {
        double a = Math.abs(x);
        int e = !Double.isFinite(a) || a == 0 ? minExponent : Math.max(Math.getExponent(a), minExponent);
        return Math.scalb(1.0, e - mantissaBits);
    }

    /** The value of the stored bits (the low {@link #bits()} bits of {@code bits}). */
    public float decode(int bits) {
        return switch (this) {
            case FP32 -> Float.intBitsToFloat(bits);
            case FP16 -> Float.float16ToFloat((short) bits);
            case BF16 -> Float.intBitsToFloat(bits << 16);
            case FP8_E5M2 -> Float.float16ToFloat((short) (bits << 8));     // E5M2 is the top byte of binary16
            case FP8_E4M3 -> decodeE4m3(bits & 0xff);
        };
    }

    private static float decodeE4m3(int b) {
        float sign = (b & 0x80) != 0 ? -1f : 1f;
        int e = (b >> 3) & 0xf, m = b & 7;
        if (e == 15 && m == 7) return Float.NaN;
        if (e == 0) return sign * Math.scalb((float) m, -9);           // subnormal: m/8 * 2^(1-7)
        return sign * Math.scalb(1f + m / 8f, e - 7);
    }

    /** {@code x} rounded to this format (to nearest, ties to even), as a double; overflow as {@link ElementType}. */
    public double round(double x) {
        if (this == FP32) return (float) x;
        if (Double.isNaN(x)) return Double.NaN;
        double a = Math.abs(x);
        if (Double.isInfinite(a)) return hasInfinity() ? x : Double.NaN;
        if (a == 0) return x;
        int e = Math.max(Math.getExponent(a), minExponent);
        double quantum = Math.scalb(1.0, e - mantissaBits);
        double r = Math.rint(a / quantum) * quantum;     // a / quantum is exact; rint rounds half to even
        if (r > maxFinite) return hasInfinity() ? Math.copySign(Double.POSITIVE_INFINITY, x) : Double.NaN;
        return Math.copySign(r, x);
    }

    /** Like {@link #round} but a finite value too large for the format becomes the largest finite value. */
    public double roundSaturating(double x) {
        if (Double.isFinite(x) && Math.abs(x) > maxFinite) return Math.copySign(maxFinite, x);
        return round(x);
    }

    /** The bits of {@code x} rounded to this format (in the low {@link #bits()} bits). */
    public int encode(double x) {
        return this == FP32 ? Float.floatToRawIntBits((float) x) : bitsOf(round(x));
    }

    /** The bits of a value already in this format. */
    private int bitsOf(double v) {
        int signBit = 1 << (bits() - 1);
        int exponentMask = (1 << exponentBits) - 1;
        if (Double.isNaN(v)) {
            // the canonical quiet NaN: all exponent bits and all (E4M3) or the top (others) mantissa bits
            return exponentMask << mantissaBits | (this == FP8_E4M3 ? 7 : 1 << (mantissaBits - 1));
        }
        int sign = (Double.doubleToRawLongBits(v) < 0) ? signBit : 0;
        double a = Math.abs(v);
        if (Double.isInfinite(a)) return sign | exponentMask << mantissaBits;
        if (a == 0) return sign;
        int e = Math.getExponent(a);
        if (e < minExponent) {                                   // subnormal: exponent field 0
            return sign | (int) (a / minSubnormal());
        }
        int mantissa = (int) ((a / Math.scalb(1.0, e) - 1) * (1 << mantissaBits));
        return sign | (e + bias) << mantissaBits | mantissa;
    }

    /** The type named by {@code token} ({@link #token()}), or an {@link InvalidProblemException} listing the names. */
    public static ElementType ofToken(String token) {
        for (ElementType t : values()) if (t.token().equals(token)) return t;
        throw new InvalidProblemException("unknown element type '" + token + "'; known: fp32, fp16, bf16, fp8_e4m3, "
                + "fp8_e5m2");
    }

    /** The name used in files and messages: fp32, fp16, bf16, fp8_e4m3, fp8_e5m2. */
    public String token() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return token();
    }
}
