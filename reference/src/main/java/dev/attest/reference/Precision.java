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
            // the storage formats' own rounding: directly from the double, with no double rounding through float
            case FP16 -> ElementType.FP16.round(x);
            case BF16 -> ElementType.BF16.round(x);
            case TF32 -> roundMantissa((float) x, 23 - mantissaBits);
        };
    }

    /**
     * The adjacent value of this precision above ({@code up}) or below a value {@code x} of this precision: one
     * unit in the last place away.
     */
    public double neighbour(double x, boolean up) {
        if (this == FP64) return up ? Math.nextUp(x) : Math.nextDown(x);
        float f = (float) x;
        float step = Math.scalb(Math.ulp(f), 23 - mantissaBits);
        if (this == FP32) return up ? Math.nextUp(f) : Math.nextDown(f);
        return round(up ? f + step : f - step);
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
