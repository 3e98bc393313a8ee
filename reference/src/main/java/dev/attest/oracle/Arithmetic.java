package dev.attest.oracle;

import java.util.List;

/**
 * The number system the oracle's one algorithm runs in. {@link Oracle} instantiates the same code three times:
 * double-double ({@link DoubleDoubleArithmetic}, the judge), arbitrary-precision {@code Dfp} ({@link DfpArithmetic},
 * the oracle of the oracle) and plain doubles rounded to a {@link dev.attest.reference.Precision} after every
 * operation ({@link RoundedArithmetic}, the tolerance baseline).
 *
 * <p>Values are never NaN or infinite when they enter: the oracle checks inputs in plain {@code double} and keeps
 * non-finite values out of the arithmetic (double-double cannot carry them reliably).
 *
 * @param <T> the value type
 */
public interface Arithmetic<T> {

    T of(double x);

    double toDouble(T x);

    /** Whether {@code x} is a finite value (a rounded arithmetic may overflow). */
    boolean isFinite(T x);

    T add(T a, T b);

    T subtract(T a, T b);

    T multiply(T a, T b);

    T divide(T a, T b);

    T exp(T x);

    T log(T x);

    T tanh(T x);

    T sqrt(T x);

    T sin(T x);

    T cos(T x);

    int compare(T a, T b);

    /** {@code x^y} for {@code x > 0}; by default {@code exp(y * log x)}. */
    default T pow(T x, T y) {
        return exp(multiply(y, log(x)));
    }

    default T max(T a, T b) {
        return compare(a, b) >= 0 ? a : b;
    }

    /** Sum of {@code terms}, left to right unless an implementation accumulates more accurately. */
    default T sum(List<T> terms) {
        T s = of(0);
        for (T t : terms) s = add(s, t);
        return s;
    }

    /** {@code sum_i a[i] * b[i]}, left to right unless an implementation accumulates more accurately. */
    default T dot(List<T> a, List<T> b) {
        T s = of(0);
        for (int i = 0; i < a.size(); i++) s = add(s, multiply(a.get(i), b.get(i)));
        return s;
    }
}
