package dev.attest.reference;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * A dense tensor of one {@link ElementType}, viewed through a shape, strides and an offset into a flat array: a
 * {@code float[]} for fp32, raw bits in a {@code short[]} for fp16 and bf16 or a {@code byte[]} for fp8. A permuted
 * or sliced view shares the array: a BSHD buffer seen as BHSD is a view, not a copy.
 *
 * <p>Element {@code (i0, i1, ...)} lives at {@code array[offset + i0*stride[0] + i1*stride[1] + ...]}. Every view is
 * checked at construction so that each index inside the shape lands inside the array; an out-of-range view is an
 * {@link InvalidProblemException}, never an {@code ArrayIndexOutOfBoundsException} later.
 *
 * <p>An fp8 tensor carries its {@link Descale}: the value of element {@code (b, h, ...)} is the stored fp8 value
 * times {@code descale.factor(b, h)}, exactly (in double). {@link #get}, {@link #value} and {@link #toArray} give
 * values; {@link #data()}, {@link #bits16()} and {@link #bits8()} give the stored array for kernels.
 */
public final class Tensor {
    private final Storage storage;
    private final int offset;
    private final int[] shape;
    private final int[] strides;
    private final Descale descale;
    /** The axes of this view that the descale's batch and head index (-1: none). */
    private final int descaleBatchAxis, descaleHeadAxis;

    private Tensor(Storage storage, int offset, int[] shape, int[] strides, Descale descale, int batchAxis,
                   int headAxis) {
        require(storage != null, "tensor data must not be null");
        require(shape.length == strides.length, "tensor has %d dimensions but %d strides", shape.length, strides.length);
        require(offset >= 0, "tensor offset must be non-negative, was %d", offset);
        long last = offset;
        for (int axis = 0; axis < shape.length; axis++) {
            require(shape[axis] > 0, "tensor dimension %d must be positive, was %d (shape %s)", axis, shape[axis],
                    Arrays.toString(shape));
            require(strides[axis] >= 0, "tensor stride %d must be non-negative, was %d", axis, strides[axis]);
            last += (long) (shape[axis] - 1) * strides[axis];
        }
        require(last < storage.length(), "tensor view of shape %s, strides %s, offset %d needs %d elements but its array has %d",
                Arrays.toString(shape), Arrays.toString(strides), offset, last + 1, storage.length());
        ElementType type = storage.type();
        require(!type.isFp8() || descale != null, "an %s tensor needs its descale (Descale.of(1f) for none)", type);
        require(type.isFp8() || descale == null, "only fp8 tensors carry a descale; this one is %s", type);
        if (descale != null) {
            require(descale.batches() == 1 || batchAxis >= 0 && shape[batchAxis] == descale.batches(),
                    "descale has %d batch factors but the tensor's batch axis has %s", descale.batches(),
                    batchAxis >= 0 ? shape[batchAxis] : "none");
            require(descale.heads() == 1 || headAxis >= 0 && shape[headAxis] == descale.heads(),
                    "descale has %d head factors but the tensor's head axis has %s", descale.heads(),
                    headAxis >= 0 ? shape[headAxis] : "none");
        }
        this.storage = storage;
        this.offset = offset;
        this.shape = shape.clone();
        this.strides = strides.clone();
        this.descale = descale;
        this.descaleBatchAxis = batchAxis;
        this.descaleHeadAxis = headAxis;
    }

    private static Tensor dense(Storage storage, Descale descale, int[] shape) {
        long size = 1;
        for (int d : shape) size *= d;
        require(size == storage.length(), "shape %s holds %d elements but the array has %d", Arrays.toString(shape),
                size, storage.length());
        return new Tensor(storage, 0, shape, rowMajorStrides(shape), descale, shape.length > 0 ? 0 : -1,
                shape.length > 1 ? 1 : -1);
    }

    private static int checkedSize(int[] shape) {
        long size = 1;
        for (int axis = 0; axis < shape.length; axis++) {
            require(shape[axis] > 0, "tensor dimension %d must be positive, was %d (shape %s)", axis, shape[axis],
                    Arrays.toString(shape));
            size *= shape[axis];
        }
        require(size <= Integer.MAX_VALUE - 8, "tensor of shape %s has %d elements, more than a Java array holds",
                Arrays.toString(shape), size);
        return (int) size;
    }

    /** A new zero-filled, row-major fp32 tensor. */
    public static Tensor zeros(int... shape) {
        return zeros(ElementType.FP32, shape);
    }

    /** A new zero-filled, row-major tensor of a type without a descale (fp32, fp16, bf16). */
    public static Tensor zeros(ElementType type, int... shape) {
        return zeros(type, null, shape);
    }

    /** A new zero-filled, row-major tensor; {@code descale} for fp8 (axes 0 and 1 are its batch and head). */
    public static Tensor zeros(ElementType type, Descale descale, int... shape) {
        return dense(Storage.zeros(type, checkedSize(shape)), descale, shape);
    }

    /** Wraps {@code data} as a row-major fp32 tensor of {@code shape}; the array is shared, not copied. */
    public static Tensor of(float[] data, int... shape) {
        require(data != null, "tensor data must not be null");
        return dense(new Storage.Floats(data), null, shape);
    }

    /** Wraps raw fp16 or bf16 bits as a row-major tensor; the array is shared. */
    public static Tensor ofBits(short[] bits, ElementType type, int... shape) {
        require(bits != null, "tensor data must not be null");
        require(type.bits() == 16, "a short[] holds fp16 or bf16 bits, not %s", type);
        return dense(new Storage.Halves(bits, type), null, shape);
    }

    /** Wraps raw fp8 bits with their descale as a row-major tensor; the array is shared. */
    public static Tensor ofBits(byte[] bits, ElementType type, Descale descale, int... shape) {
        require(bits != null, "tensor data must not be null");
        require(type.isFp8(), "a byte[] holds fp8 bits, not %s", type);
        return dense(new Storage.Bytes(bits, type), descale, shape);
    }

    /** A strided fp32 view of {@code data}; the general constructor behind layouts and slices. */
    public static Tensor view(float[] data, int offset, int[] shape, int[] strides) {
        require(data != null, "tensor data must not be null");
        return new Tensor(new Storage.Floats(data), offset, shape, strides, null, -1, -1);
    }

    /** A strided view of this tensor's array (same type and descale; the descale's axes stay where they were). */
    public Tensor view(int newOffset, int[] newShape, int[] newStrides) {
        return new Tensor(storage, newOffset, newShape, newStrides, descale, descaleBatchAxis, descaleHeadAxis);
    }

    /**
     * The same elements with another descale, indexed by this view's axes 0 (batch) and 1 (head): how a layout
     * whose storage order differs from (B, H, S, D) attaches a per-head descale to the logical view.
     */
    public Tensor withDescale(Descale newDescale) {
        require(type().isFp8(), "only fp8 tensors carry a descale; this one is %s", type());
        return new Tensor(storage, offset, shape, strides, newDescale, shape.length > 0 ? 0 : -1,
                shape.length > 1 ? 1 : -1);
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
        int batchAxis = -1, headAxis = -1;
        for (int k = 0; k < order.length; k++) {
            require(order[k] >= 0 && order[k] < shape.length && !seen[order[k]],
                    "permute order %s is not a permutation of 0..%d", Arrays.toString(order), shape.length - 1);
            seen[order[k]] = true;
            newShape[k] = shape[order[k]];
            newStrides[k] = strides[order[k]];
            if (order[k] == descaleBatchAxis) batchAxis = k;
            if (order[k] == descaleHeadAxis) headAxis = k;
        }
        return new Tensor(storage, offset, newShape, newStrides, descale, batchAxis, headAxis);
    }

    public ElementType type() {
        return storage.type();
    }

    /** The fp8 descale, or null for other types. */
    public Descale descale() {
        return descale;
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

    /** The backing fp32 array (shared with every view of it). Kernels index it with {@link #offset()} and strides. */
    public float[] data() {
        if (storage instanceof Storage.Floats f) return f.data();
        throw new IllegalStateException("this tensor is " + type() + ", not fp32: read its bits with "
                + (type().isFp8() ? "bits8()" : "bits16()") + ", or its values with get()/toArray()");
    }

    /** The backing array of raw fp16 or bf16 bits (shared with every view). */
    public short[] bits16() {
        if (storage instanceof Storage.Halves h) return h.data();
        throw new IllegalStateException("this tensor is " + type() + ", not fp16 or bf16");
    }

    /** The backing array of raw fp8 bits (shared with every view). */
    public byte[] bits8() {
        if (storage instanceof Storage.Bytes b) return b.data();
        throw new IllegalStateException("this tensor is " + type() + ", not fp8");
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

    private double factor(int[] idx) {
        if (descale == null) return 1;
        return descale.factor(descaleBatchAxis >= 0 ? idx[descaleBatchAxis] : 0,
                descaleHeadAxis >= 0 ? idx[descaleHeadAxis] : 0);
    }

    /** The exact value of an element: the stored value times its descale (in double, so exact for fp8). */
    public double value(int... idx) {
        return (double) storage.get(index(idx)) * factor(idx);
    }

    /** The element's value as a float (rounded when an fp8 descale makes it inexact). */
    public float get(int... idx) {
        return (float) value(idx);
    }

    /** Stores {@code value} (divided by its descale for fp8) rounded to this tensor's type. */
    public void set(float value, int... idx) {
        storage.set(index(idx), value / factor(idx));
    }

    /** The stored bits of an element (for exact comparisons, NaN payloads included). */
    public int bits(int... idx) {
        return storage.bits(index(idx));
    }

    /** Stores raw bits (the low {@link ElementType#bits()} bits of {@code bits}) into an element, as they are. */
    public void setBits(int bits, int... idx) {
        storage.setBits(index(idx), bits);
    }

    /** True when the view is row-major and dense: it covers {@code data[offset, offset + size)} in order. */
    public boolean isContiguous() {
        return Arrays.equals(strides, rowMajorStrides(shape));
    }

    /** Visits every element in row-major order of the logical shape: its flat array index and its coordinates. */
    private void forEach(ElementVisitor visitor) {
        int[] idx = new int[shape.length];
        long n = size();
        for (long flat = 0; flat < n; flat++) {
            int source = offset;
            for (int axis = 0; axis < idx.length; axis++) source += idx[axis] * strides[axis];
            visitor.visit((int) flat, source, idx);
            for (int axis = idx.length - 1; axis >= 0; axis--) {
                if (++idx[axis] < shape[axis]) break;
                idx[axis] = 0;
            }
        }
    }

    private interface ElementVisitor {
        void visit(int logical, int index, int[] coordinates);
    }

    /** The exact values in row-major order of the logical shape (a fresh array). */
    public double[] toDoubleArray() {
        double[] out = new double[(int) size()];
        forEach((k, i, idx) -> out[k] = (double) storage.get(i) * factor(idx));
        return out;
    }

    /** The values in row-major order of the logical shape (a fresh array; fp8 values times descale, as floats). */
    public float[] toArray() {
        float[] out = new float[(int) size()];
        forEach((k, i, idx) -> out[k] = (float) ((double) storage.get(i) * factor(idx)));
        return out;
    }

    /** A row-major copy with the same logical shape, type, bits and descale. */
    public Tensor copy() {
        Storage copy = storage.allocate((int) size());
        forEach((k, i, idx) -> copy.setBits(k, storage.bits(i)));
        return dense(copy, descale, shape);
    }

    /** A row-major copy in {@code type} (fp32, fp16, bf16): each value rounded to it. */
    public Tensor to(ElementType type) {
        return to(type, null);
    }

    /** A row-major copy in {@code type}; {@code descale} for fp8 (each value divided by it, then rounded). */
    public Tensor to(ElementType type, Descale newDescale) {
        Tensor out = zeros(type, newDescale, shape);
        out.copyFrom(this);
        return out;
    }

    /** Writes {@code value} into every element of the view (and nothing outside it), rounded to its type. */
    public Tensor fill(float value) {
        forEach((k, i, idx) -> storage.set(i, value / factor(idx)));
        return this;
    }

    /** Copies {@code source}'s values (same logical shape, any strides and type) into this view, rounding each. */
    public void copyFrom(Tensor source) {
        require(Arrays.equals(shape, source.shape), "copy from shape %s into shape %s", Arrays.toString(source.shape),
                Arrays.toString(shape));
        if (source.type() == type() && java.util.Objects.equals(descale, source.descale)) {
            int[] bits = source.toBitsArray();
            forEach((k, i, idx) -> storage.setBits(i, bits[k]));       // same type: the bits, NaN payloads included
            return;
        }
        double[] values = source.toDoubleArray();
        forEach((k, i, idx) -> storage.set(i, values[k] / factor(idx)));
    }

    /** The stored bits of every element in row-major order of the logical shape (a fresh array): for exact checks. */
    public int[] toBitsArray() {
        int[] bits = new int[Math.toIntExact(size())];
        forEach((k, i, idx) -> bits[k] = storage.bits(i));
        return bits;
    }

    /** Visits the flat array index of every element, in row-major order of the logical shape. */
    public void forEachIndex(java.util.function.IntConsumer action) {
        forEach((k, i, idx) -> action.accept(i));
    }

    /** True when any element of the view is NaN or infinite. */
    public boolean hasNonFinite() {
        boolean[] found = {false};
        forEach((k, i, idx) -> found[0] |= !Float.isFinite(storage.get(i)));
        return found[0];
    }

    @Override
    public String toString() {
        return "Tensor" + (type() == ElementType.FP32 ? "" : " " + type()) + Arrays.toString(shape) + " strides "
                + Arrays.toString(strides) + (descale == null ? "" : " " + descale);
    }
}
