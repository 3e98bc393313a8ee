package dev.attest.backends.kernels;

import dev.attest.reference.Rotary;

/**
 * Rotary position embedding of one head vector, in place, on explicit offsets. Shared by every CPU backend so
 * that they agree on the exact rounding of the rotation (angles and trigonometry in double, result rounded to
 * float once per feature).
 */
public final class Rope {
    private Rope() {
    }

    /**
     * Rotates the head vector {@code x[offset + d*stride]}, {@code d < rotary.dims()}, to absolute position
     * {@code position}. Features at and past {@code rotary.dims()} are not touched (partial rotary).
     *
     * <pre>
     *   angle = position * base^(-2t/dims)
     *   x1' = x1*cos - x2*sin,   x2' = x2*cos + x1*sin     (x1, x2) = pair t
     * </pre>
     */
    public static void rotate(Rotary rotary, float[] x, int offset, int stride, long position) {
        assert offset >= 0 && offset + (long) (rotary.dims() - 1) * stride < x.length : "rotary vector out of bounds";
        for (int t = 0; t < rotary.dims() / 2; t++) {
            double angle = position * rotary.inverseFrequency(t);
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            int i1 = offset + rotary.first(t) * stride;
            int i2 = offset + rotary.second(t) * stride;
            double x1 = x[i1];
            double x2 = x[i2];
            x[i1] = (float) (x1 * cos - x2 * sin);
            x[i2] = (float) (x2 * cos + x1 * sin);
        }
    }
}
