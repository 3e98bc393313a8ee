package dev.attest.reference;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * Rotary position embedding (RoPE), applied to Q and K per head after projection, at absolute positions.
 * Pair {@code t} of the first {@code dims} features rotates by angle {@code pos * base^(-2t/dims)}:
 * <pre>
 *   x1' = x1*cos - x2*sin,   x2' = x2*cos + x1*sin
 * </pre>
 * Pairs are {@code (x[t], x[t + dims/2])} ("rotate half", GPT-NeoX / Llama) or, when {@code interleaved},
 * {@code (x[2t], x[2t+1])} (GPT-J; ONNX {@code RotaryEmbedding interleaved=1}). Features past {@code dims} pass
 * through (partial rotary).
 */
public record Rotary(int dims, double base, boolean interleaved) {
    public Rotary {
        require(dims > 0 && dims % 2 == 0, "rotary dims must be positive and even, was %d", dims);
        require(Double.isFinite(base) && base > 1, "rotary base must be finite and > 1, was %s", base);
    }

    /** Standard rotate-half RoPE over {@code dims} features with base 10000. */
    public static Rotary of(int dims) {
        return new Rotary(dims, 10000.0, false);
    }

    /** Inverse frequency of pair {@code t}: {@code base^(-2t/dims)}. */
    public double inverseFrequency(int pair) {
        return Math.pow(base, -2.0 * pair / dims);
    }

    /** Index of the first and second feature of pair {@code t}. */
    public int first(int pair) {
        return interleaved ? 2 * pair : pair;
    }

    public int second(int pair) {
        return interleaved ? 2 * pair + 1 : pair + dims / 2;
    }

    @Override
    public String toString() {
        return "rope(" + dims + (interleaved ? ",interleaved" : "") + (base == 10000.0 ? "" : ",base=" + base) + ")";
    }
}
