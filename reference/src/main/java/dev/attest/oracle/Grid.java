package dev.attest.oracle;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

import dev.attest.reference.Tensor;

/**
 * A row-major array of arithmetic values with a shape; {@code null} marks a non-finite value (which the oracle
 * never lets into the arithmetic).
 */
final class Grid<T> {
    final int[] shape;
    private final int[] strides;
    private final List<T> data;

    Grid(int... shape) {
        this.shape = shape.clone();
        this.strides = new int[shape.length];
        int size = 1;
        for (int axis = shape.length - 1; axis >= 0; axis--) {
            strides[axis] = size;
            size *= shape[axis];
        }
        this.data = new ArrayList<>(java.util.Collections.nCopies(size, (T) null));
    }

    /** Reads a tensor of any strides; NaN and infinities become {@code null}. */
    static <T> Grid<T> of(Tensor tensor, Arithmetic<T> ar) {
        Grid<T> g = new Grid<>(tensor.shape());
        double[] values = tensor.toDoubleArray();     // exact: an fp8 value times its descale needs no rounding
        for (int i = 0; i < values.length; i++) g.data.set(i, Double.isFinite(values[i]) ? ar.of(values[i]) : null);
        return g;
    }

    int size() {
        return data.size();
    }

    int index(int... idx) {
        int flat = 0;
        for (int axis = 0; axis < idx.length; axis++) flat += idx[axis] * strides[axis];
        return flat;
    }

    /** Replaces every element by {@code f} of it (null, a non-finite value, stays null). */
    void replaceAll(java.util.function.UnaryOperator<T> f) {
        data.replaceAll(x -> x == null ? null : f.apply(x));
    }

    T get(int... idx) {
        return data.get(index(idx));
    }

    void set(T value, int... idx) {
        data.set(index(idx), value);
    }

    /** The last-axis vector at the given leading indices, as a list view (may contain nulls). */
    List<T> row(int... leading) {
        int start = 0;
        for (int axis = 0; axis < leading.length; axis++) start += leading[axis] * strides[axis];
        return data.subList(start, start + shape[shape.length - 1]);
    }

    static boolean finite(List<?> values) {
        for (Object v : values) if (v == null) return false;
        return true;
    }

    OracleResult toResult(ToDoubleFunction<T> toDouble) {
        double[] out = new double[data.size()];
        for (int i = 0; i < out.length; i++) {
            T v = data.get(i);
            out[i] = v == null ? Double.NaN : toDouble.applyAsDouble(v);
        }
        return new OracleResult(shape.clone(), out);
    }

    @Override
    public String toString() {
        return "Grid" + Arrays.toString(shape);
    }
}
