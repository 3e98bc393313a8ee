package dev.attest.reference;

/**
 * Arithmetic precision a backend declares. The tolerance model's baseline is the plain naive computation in the
 * same precision, so a bf16 backend is judged against a bf16 naive loop, not against fp32.
 */
public enum Precision {
    FP64(52), FP32(23), TF32(10), BF16(7), FP16(10);

    private final int mantissaBits;

    Precision(int mantissaBits) {
        this.mantissaBits = mantissaBits;
    }

    /** Unit roundoff {@code 2^-(mantissa bits + 1)}. */
    public double unitRoundoff() {
        return Math.scalb(1.0, -(mantissaBits + 1));
    }

    /** Rounds {@code x} to the nearest value of this precision (ties to even), keeping the fp32/fp64 range. */
    public double round(double x) {
        return switch (this) {
            case FP64 -> x;
            case FP32 -> (float) x;
            case FP16 -> Float.float16ToFloat(Float.floatToFloat16((float) x));
            case TF32, BF16 -> roundMantissa((float) x, 23 - mantissaBits);
        };
    }

    private static float roundMantissa(float x, int dropBits) {
        if (!Float.isFinite(x)) return x;
        int bits = Float.floatToRawIntBits(x);
        int half = 1 << (dropBits - 1);
        int lsb = (bits >> dropBits) & 1;
        bits = (bits + half - 1 + lsb) & ~((1 << dropBits) - 1);
        return Float.intBitsToFloat(bits);
    }
}
