package dev.attest.oracle;

import java.math.BigDecimal;

import org.apache.commons.math3.dfp.Dfp;
import org.apache.commons.math3.dfp.DfpField;

/**
 * Arbitrary precision on Commons Math {@link Dfp} with a chosen number of decimal digits: the oracle of the oracle,
 * about a thousand times slower than double-double, so only for small problems.
 */
public final class DfpArithmetic implements Arithmetic<Dfp> {
    private final DfpField field;

    public DfpArithmetic(int decimalDigits) {
        if (decimalDigits < 20) throw new IllegalArgumentException("Dfp oracle needs at least 20 digits, got " + decimalDigits);
        this.field = new DfpField(decimalDigits);
    }

    public DfpField field() {
        return field;
    }

    @Override public Dfp of(double x) { return field.newDfp(x); }

    /**
     * Correctly rounded to double through the decimal string ({@link Dfp#toDouble()} truncates and flushes
     * subnormals to zero).
     */
    @Override
    public double toDouble(Dfp x) {
        if (x.isNaN()) return Double.NaN;
        if (x.isInfinite()) return x.negativeOrNull() ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        return new BigDecimal(x.toString()).doubleValue();
    }

    @Override public boolean isFinite(Dfp x) { return !x.isNaN() && !x.isInfinite(); }
    @Override public Dfp add(Dfp a, Dfp b) { return a.add(b); }
    @Override public Dfp subtract(Dfp a, Dfp b) { return a.subtract(b); }
    @Override public Dfp multiply(Dfp a, Dfp b) { return a.multiply(b); }
    @Override public Dfp divide(Dfp a, Dfp b) { return a.divide(b); }
    @Override public Dfp exp(Dfp x) { return x.exp(); }
    @Override public Dfp log(Dfp x) { return x.log(); }
    @Override public Dfp tanh(Dfp x) { return x.tanh(); }
    @Override public Dfp sqrt(Dfp x) { return x.sqrt(); }
    @Override public Dfp sin(Dfp x) { return x.sin(); }
    @Override public Dfp cos(Dfp x) { return x.cos(); }
    @Override public Dfp pow(Dfp x, Dfp y) { return x.pow(y); }

    @Override
    public int compare(Dfp a, Dfp b) {
        return a.lessThan(b) ? -1 : a.greaterThan(b) ? 1 : 0;
    }
}
