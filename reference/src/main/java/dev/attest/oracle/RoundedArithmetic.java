package dev.attest.oracle;

import java.util.SplittableRandom;

import dev.attest.reference.Precision;

/**
 * Plain doubles rounded to a {@link Precision} after every operation: what a textbook loop in that precision computes
 * (sequential dot products and sums, {@code exp} = the library {@code exp} rounded). This is the "same-precision
 * reference" whose error against the oracle sets a backend's allowance (FlashAttention's rule).
 */
public final class RoundedArithmetic implements Arithmetic<Double> {
    private final Precision precision;
    private final SplittableRandom randomRounding;

    /** Round to nearest after every operation: the textbook computation. */
    public RoundedArithmetic(Precision precision) {
        this.precision = precision;
        this.randomRounding = null;
    }

    /**
     * Randomised rounding (Monte Carlo arithmetic, as in CESTAC): after every operation the result is rounded to
     * one of its two neighbours in the precision, each with probability 1/2. Each seed is one plausible rounding
     * pattern of a plain computation; a few of them show how large the rounding error of this input typically is,
     * so the tolerance model does not hang on the luck of one rounding pattern on a small problem.
     */
    public RoundedArithmetic(Precision precision, long seed) {
        this.precision = precision;
        this.randomRounding = new SplittableRandom(seed);
    }

    public Precision precision() {
        return precision;
    }

    private Double r(double x) {
        double nearest = precision.round(x);
        if (randomRounding == null || nearest == x || !Double.isFinite(nearest) || randomRounding.nextBoolean()) {
            return nearest;
        }
        return precision.neighbour(nearest, x > nearest);
    }

    @Override public Double of(double x) { return r(x); }
    @Override public double toDouble(Double x) { return x; }
    @Override public boolean isFinite(Double x) { return Double.isFinite(x); }
    @Override public Double add(Double a, Double b) { return r(a + b); }
    @Override public Double subtract(Double a, Double b) { return r(a - b); }
    @Override public Double multiply(Double a, Double b) { return r(a * b); }
    @Override public Double divide(Double a, Double b) { return r(a / b); }
    @Override public Double exp(Double x) { return r(Math.exp(x)); }
    @Override public Double log(Double x) { return r(Math.log(x)); }
    @Override public Double tanh(Double x) { return r(Math.tanh(x)); }
    @Override public Double sqrt(Double x) { return r(Math.sqrt(x)); }
    @Override public Double sin(Double x) { return r(Math.sin(x)); }
    @Override public Double cos(Double x) { return r(Math.cos(x)); }
    @Override public Double pow(Double x, Double y) { return r(Math.pow(x, y)); }
    @Override public int compare(Double a, Double b) { return Double.compare(a, b); }
}
