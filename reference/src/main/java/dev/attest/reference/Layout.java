package dev.attest.reference;

/**
 * Memory order of a (batch, heads, sequence, head-dim) attention tensor. The logical axes are always
 * (B, H, S, D); the layout only says how they are laid out in the array, so a BSHD buffer (what a fused QKV
 * projection produces) is read as BHSD through strides, without a copy.
 */
public enum Layout {
    /** Row-major (B, H, S, D): each head's sequence is contiguous (PyTorch SDPA, ONNX 4-D inputs). */
    BHSD,
    /** Row-major (B, S, H, D): each token's heads are contiguous (the output of a fused projection). */
    BSHD;

    /** A new zero-filled tensor with logical axes (B, H, S, D) stored in this layout. */
    public Tensor allocate(int batch, int heads, int length, int headDim) {
        return switch (this) {
            case BHSD -> Tensor.zeros(batch, heads, length, headDim);
            case BSHD -> Tensor.zeros(batch, length, heads, headDim).permute(0, 2, 1, 3);
        };
    }

    /** A new zero-filled fp32, fp16 or bf16 tensor with logical axes (B, H, S, D) stored in this layout. */
    public Tensor allocate(ElementType type, int batch, int heads, int length, int headDim) {
        return allocate(type, null, batch, heads, length, headDim);
    }

    /**
     * A new zero-filled tensor of {@code type} with logical axes (B, H, S, D) stored in this layout; {@code descale}
     * (fp8 only) is over the logical (B, H).
     */
    public Tensor allocate(ElementType type, Descale descale, int batch, int heads, int length, int headDim) {
        Descale placeholder = type.isFp8() ? Descale.ONE : null;
        return wrap(this == BHSD ? Tensor.zeros(type, placeholder, batch, heads, length, headDim)
                : Tensor.zeros(type, placeholder, batch, length, heads, headDim), descale);
    }

    /** Views a row-major array in this layout as logical (B, H, S, D); the array is shared. */
    public Tensor wrap(float[] data, int batch, int heads, int length, int headDim) {
        return wrap(this == BHSD ? Tensor.of(data, batch, heads, length, headDim)
                : Tensor.of(data, batch, length, heads, headDim), null);
    }

    /**
     * Views a row-major rank-4 tensor whose axes are this layout's ((B, S, H, D) for BSHD) as logical (B, H, S, D);
     * the array is shared. An fp8 tensor gets {@code descale}, over the logical (B, H), whatever descale
     * {@code stored} carried (a per-head descale cannot be attached before the head axis is known).
     */
    public Tensor wrap(Tensor stored, Descale descale) {
        Tensor logical = this == BHSD ? stored : stored.permute(0, 2, 1, 3);
        return stored.type().isFp8() ? logical.withDescale(descale) : logical;
    }

    /** The layout a logical (B, H, S, D) view has in memory, or {@code null} when it is neither dense layout. */
    public static Layout of(Tensor tensor) {
        if (tensor.rank() != 4) return null;
        if (tensor.isContiguous()) return BHSD;
        if (tensor.permute(0, 2, 1, 3).isContiguous()) return BSHD;
        return null;
    }
}
