package dev.attest.oracle;

import java.util.Arrays;

/**
 * An oracle output rounded to double: attention gives shape (B, Hq, Sq, Dv), the layer (B, Sq, dOut), both stored
 * row-major. NaN marks a propagated non-finite input.
 */
public record OracleResult(int[] shape, double[] values) {

    public OracleResult {
        long size = 1;
        for (int d : shape) size *= d;
        if (size != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + size
                    + " values but " + values.length + " were given");
        }
    }

    /** Row-major flat index of {@code idx}. */
    public int index(int... idx) {
        if (idx.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(idx) + " has " + idx.length
                    + " coordinates but the result has shape " + Arrays.toString(shape));
        }
        int flat = 0;
        for (int axis = 0; axis < idx.length; axis++) {
            if (idx[axis] < 0 || idx[axis] >= shape[axis]) {
                throw new IndexOutOfBoundsException("index " + idx[axis] + " on axis " + axis + " is outside its size "
                        + shape[axis]);
            }
            flat = flat * shape[axis] + idx[axis];
        }
        return flat;
    }

    public double get(int... idx) {
        return values[index(idx)];
    }

    /** Largest absolute finite value (0 when there is none). */
    public double maxAbs() {
        double m = 0;
        for (double v : values) if (Double.isFinite(v)) m = Math.max(m, Math.abs(v));
        return m;
    }

    @Override
    public String toString() {
        return "OracleResult" + Arrays.toString(shape);
    }
}
