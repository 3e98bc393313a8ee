package dev.attest.reference;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * A dense fp32 tensor viewed through a shape, strides and an offset into a flat {@code float[]}. A permuted or
 * sliced view shares the array: a BSHD buffer seen as BHSD is a view, not a copy.
 *
 * <p>Element {@code (i0, i1, ...)} lives at {@code data[offset + i0*stride[0] + i1*stride[1] + ...]}. Every view is
 * checked at construction so that each index inside the shape lands inside the array; an out-of-range view is an
 * {@link InvalidProblemException}, never an {@code ArrayIndexOutOfBoundsException} later.
 */
public final class Tensor {
    private final float[] data;
    private final int offset;
    private final int[] shape;
    private final int[] strides;

    private Tensor(float[] data, int offset, int[] shape, int[] strides) {
        require(data != null, "tensor data must not be null");
        require(shape.length == strides.length, "tensor has %d dimensions but %d strides", shape.length, strides.length);
        require(offset >= 0, "tensor offset must be non-negative, was %d", offset);
        long last = offset;
        for (int axis = 0; axis < shape.length; axis++) {
            require(shape[axis] > 0, "tensor dimension %d must be positive, was %d (shape %s)", axis, shape[axis],
                    Arrays.toString(shape));
            require(strides[axis] >= 0, "tensor stride %d must be non-negative, was %d", axis, strides[axis]);
            last += (long) (shape[axis] - 1) * strides[axis];
        }
        require(last < data.length, "tensor view of shape %s, strides %s, offset %d needs %d elements but its array has %d",
                Arrays.toString(shape), Arrays.toString(strides), offset, last + 1, data.length);
        this.data = data;
        this.offset = offset;
        this.shape = shape.clone();
        this.strides = strides.clone();
    }

    /** A new zero-filled, row-major tensor. */
    public static Tensor zeros(int... shape) {
        long size = 1;
        for (int axis = 0; axis < shape.length; axis++) {
            require(shape[axis] > 0, "tensor dimension %d must be positive, was %d (shape %s)", axis, shape[axis],
                    Arrays.toString(shape));
            size *= shape[axis];
        }
        require(size <= Integer.MAX_VALUE - 8, "tensor of shape %s has %d elements, more than a Java array holds",
                Arrays.toString(shape), size);
        return new Tensor(new float[(int) size], 0, shape, rowMajorStrides(shape));
    }

    /** Wraps {@code data} as a row-major tensor of {@code shape}; the array is shared, not copied. */
    public static Tensor of(float[] data, int... shape) {
        require(data != null, "tensor data must not be null");
        long size = 1;
        for (int d : shape) size *= d;
        require(size == data.length, "shape %s holds %d elements but the array has %d", Arrays.toString(shape), size,
                data.length);
        return new Tensor(data, 0, shape, rowMajorStrides(shape));
    }

    /** A strided view of {@code data}; the general constructor behind layouts and slices. */
    public static Tensor view(float[] data, int offset, int[] shape, int[] strides) {
        return new Tensor(data, offset, shape, strides);
    }

    static int[] rowMajorStrides(int[] shape) {
        int[] strides = new int[shape.length];
        int stride = 1;
        for (int axis = shape.length - 1; axis >= 0; axis--) {
            strides[axis] = stride;
            stride *= Math.max(shape[axis], 1);
        }
        return strides;
    }

    /** A view with axes reordered: axis {@code k} of the result is axis {@code order[k]} of this tensor. */
    public Tensor permute(int... order) {
        require(order.length == shape.length, "permute needs %d axes, got %d", shape.length, order.length);
        int[] newShape = new int[order.length];
        int[] newStrides = new int[order.length];
        boolean[] seen = new boolean[order.length];
        for (int k = 0; k < order.length; k++) {
            require(order[k] >= 0 && order[k] < shape.length && !seen[order[k]],
                    "permute order %s is not a permutation of 0..%d", Arrays.toString(order), shape.length - 1);
            seen[order[k]] = true;
            newShape[k] = shape[order[k]];
            newStrides[k] = strides[order[k]];
        }
        return new Tensor(data, offset, newShape, newStrides);
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis];
    }

    public int stride(int axis) {
        return strides[axis];
    }

    public int[] shape() {
        return shape.clone();
    }

    public int[] strides() {
        return strides.clone();
    }

    /** The backing array (shared with every view of it). Kernels index it with {@link #offset()} and strides. */
    public float[] data() {
        return data;
    }

    public int offset() {
        return offset;
    }

    public long size() {
        long size = 1;
        for (int d : shape) size *= d;
        return size;
    }

    /** Flat array index of a rank-4 element; the fast path kernels use. */
    public int index(int i0, int i1, int i2, int i3) {
        return offset + i0 * strides[0] + i1 * strides[1] + i2 * strides[2] + i3 * strides[3];
    }

    /** Flat array index of an element of any rank, bounds-checked with a clear message. */
    public int index(int... idx) {
        require(idx.length == shape.length, "index %s has %d coordinates but the tensor has %d dimensions",
                Arrays.toString(idx), idx.length, shape.length);
        int flat = offset;
        for (int axis = 0; axis < idx.length; axis++) {
            require(idx[axis] >= 0 && idx[axis] < shape[axis], "index %d on axis %d is outside its size %d",
                    idx[axis], axis, shape[axis]);
            flat += idx[axis] * strides[axis];
        }
        return flat;
    }

    public float get(int... idx) {
        return data[index(idx)];
    }

    public void set(float value, int... idx) {
        data[index(idx)] = value;
    }

    /** True when the view is row-major and dense: it covers {@code data[offset, offset + size)} in order. */
    public boolean isContiguous() {
        return Arrays.equals(strides, rowMajorStrides(shape));
    }

    /** The elements in row-major order of the logical shape (a fresh array). */
    public float[] toArray() {
        float[] out = new float[(int) size()];
        int[] idx = new int[shape.length];
        for (int flat = 0; flat < out.length; flat++) {
            int source = offset;
            for (int axis = 0; axis < idx.length; axis++) source += idx[axis] * strides[axis];
            out[flat] = data[source];
            for (int axis = idx.length - 1; axis >= 0; axis--) {
                if (++idx[axis] < shape[axis]) break;
                idx[axis] = 0;
            }
        }
        return out;
    }

    /** A row-major copy with the same logical shape. */
    public Tensor copy() {
        return of(toArray(), shape);
    }

    /** Writes {@code value} into every element of the view (and nothing outside it). */
    public Tensor fill(float value) {
        forEachIndex(i -> data[i] = value);
        return this;
    }

    /** Copies {@code source} (same logical shape, any strides) into this view. */
    public void copyFrom(Tensor source) {
        require(Arrays.equals(shape, source.shape), "copy from shape %s into shape %s", Arrays.toString(source.shape),
                Arrays.toString(shape));
        float[] values = source.toArray();
        int[] k = {0};
        forEachIndex(i -> data[i] = values[k[0]++]);
    }

    /** Visits the flat array index of every element, in row-major order of the logical shape. */
    public void forEachIndex(java.util.function.IntConsumer action) {
        int[] idx = new int[shape.length];
        long n = size();
        for (long flat = 0; flat < n; flat++) {
            int source = offset;
            for (int axis = 0; axis < idx.length; axis++) source += idx[axis] * strides[axis];
            action.accept(source);
            for (int axis = idx.length - 1; axis >= 0; axis--) {
                if (++idx[axis] < shape[axis]) break;
                idx[axis] = 0;
            }
        }
    }

    /** True when any element of the view is NaN or infinite. */
    public boolean hasNonFinite() {
        boolean[] found = {false};
        forEachIndex(i -> found[0] |= !Float.isFinite(data[i]));
        return found[0];
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape) + " strides " + Arrays.toString(strides);
    }
}
