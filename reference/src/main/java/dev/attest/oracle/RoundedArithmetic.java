package dev.attest.oracle;

import dev.attest.reference.Precision;

/**
 * Plain doubles rounded to a {@link Precision} after every operation: what a textbook loop in that precision computes
 * (sequential dot products and sums, {@code exp} = the library {@code exp} rounded). This is the "same-precision
 * reference" whose error against the oracle sets a backend's allowance (FlashAttention's rule).
 */
public final class RoundedArithmetic implements Arithmetic<Double> {
    private final Precision precision;

    public RoundedArithmetic(Precision precision) {
        this.precision = precision;
    }

    public Precision precision() {
        return precision;
    }

    private Double r(double x) {
        return precision.round(x);
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
