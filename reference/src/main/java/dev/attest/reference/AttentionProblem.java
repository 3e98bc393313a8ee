package dev.attest.reference;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * One core attention call: a spec with its tensors, optional mask and optional key-padding lengths, checked
 * against each other at construction. Tensors may use any layout (their logical axes are always B, H, S, D).
 *
 * <p>NaN and infinity are allowed in Q, K and V: the contract says they propagate when attended and must not leak
 * when masked, and the properties check both. They are not allowed in the spec's options or in a mask.
 *
 * @param mask       boolean or additive mask broadcast to (B, Hq, Sq, Skv), or {@code null}
 * @param keyLengths per-batch count of valid keys (key {@code j} is padding when {@code j >= keyLengths[b]}),
 *                   or {@code null}; ONNX opset 24's {@code nonpad_kv_seqlen}, which with {@code is_causal} also moves
 *                   each sequence's causal frontier to {@code keyLengths[b] - Sq}: that is
 *                   {@link Alignment#KEY_LENGTHS}, named in the spec, never implied by the key lengths
 */
public record AttentionProblem(AttentionSpec spec, Tensor query, Tensor key, Tensor value, Mask mask,
                               int[] keyLengths) {

    public AttentionProblem {
        require(spec != null, "attention spec must not be null");
        requireShape("Q", query, spec.batch(), spec.qHeads(), spec.qLength(), spec.qkHeadDim(), "Hq", "Sq", "Dqk");
        requireShape("K", key, spec.batch(), spec.kvHeads(), spec.kvLength(), spec.qkHeadDim(), "Hkv", "Skv", "Dqk");
        requireShape("V", value, spec.batch(), spec.kvHeads(), spec.kvLength(), spec.vHeadDim(), "Hkv", "Skv", "Dv");
        if (mask != null) mask.broadcastTo(spec.batch(), spec.qHeads(), spec.qLength(), spec.kvLength());
        if (keyLengths != null) {
            keyLengths = keyLengths.clone();
            require(keyLengths.length == spec.batch(), "key lengths have %d entries but batch B = %d",
                    keyLengths.length, spec.batch());
            for (int b = 0; b < keyLengths.length; b++) {
                require(keyLengths[b] >= 0 && keyLengths[b] <= spec.kvLength(),
                        "key length of batch %d is %d, outside [0, Skv = %d]", b, keyLengths[b], spec.kvLength());
            }
        }
    }

    public AttentionProblem(AttentionSpec spec, Tensor query, Tensor key, Tensor value) {
        this(spec, query, key, value, null, null);
    }

    static void requireShape(String name, Tensor tensor, int batch, int heads, int length, int dim,
                             String headName, String lengthName, String dimName) {
        require(tensor != null, "%s tensor must not be null", name);
        require(tensor.rank() == 4, "%s must have 4 axes (B, %s, %s, %s), got shape %s", name, headName, lengthName,
                dimName, Arrays.toString(tensor.shape()));
        int[] expected = {batch, heads, length, dim};
        String[] names = {"B", headName, lengthName, dimName};
        for (int axis = 0; axis < 4; axis++) {
            require(tensor.dim(axis) == expected[axis], "%s axis %d (%s) is %d but the spec says %s = %d", name, axis,
                    names[axis], tensor.dim(axis), names[axis], expected[axis]);
        }
    }

    /** Per-batch key lengths (a copy: the problem stays immutable), or {@code null}. */
    @Override
    public int[] keyLengths() {
        return keyLengths == null ? null : keyLengths.clone();
    }

    /**
     * Position offset of sequence {@code b}'s query rows among its keys: query row i sits at key position
     * {@code i + offset} (per sequence for {@link Alignment#KEY_LENGTHS} and {@link Alignment#perSequence}).
     */
    public int positionOffset(int b) {
        return spec.positionOffset(b, keyLengths == null ? spec.kvLength() : keyLengths[b]);
    }

    /** A problem with the same tensors and a different spec or mask: the usual way to derive a variant. */
    public AttentionProblem with(AttentionSpec newSpec, Mask newMask, int[] newKeyLengths) {
        return new AttentionProblem(newSpec, query, key, value, newMask, newKeyLengths);
    }

    /** Shape of the output: (B, Hq, Sq, Dv). */
    public int[] outputShape() {
        return new int[]{spec.batch(), spec.qHeads(), spec.qLength(), spec.vHeadDim()};
    }

    /** A fresh zero output tensor in the given layout. */
    public Tensor allocateOutput(Layout layout) {
        return layout.allocate(spec.batch(), spec.qHeads(), spec.qLength(), spec.vHeadDim());
    }

    /** Checks a caller-supplied output tensor, naming the axis that disagrees. */
    public void requireOutput(Tensor out) {
        requireShape("output", out, spec.batch(), spec.qHeads(), spec.qLength(), spec.vHeadDim(), "Hq", "Sq", "Dv");
    }

    /**
     * Whether query row {@code i} of batch {@code b}, head {@code h} may attend key {@code j}, and the additive bias
     * if so. This is the one definition of visibility every oracle and backend helper uses: causal, window, key
     * padding, boolean mask, {@code -inf} bias.
     */
    public MaskView maskView() {
        return new MaskView(this);
    }

    @Override
    public String toString() {
        String extra = (mask == null ? "" : mask instanceof Mask.Keep ? " mask=bool" + Arrays.toString(mask.shape())
                : " mask=bias" + Arrays.toString(mask.shape()))
                + (keyLengths == null ? "" : " keyLengths=" + Arrays.toString(keyLengths));
        return spec + extra;
    }
}
