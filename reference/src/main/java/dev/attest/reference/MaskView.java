package dev.attest.reference;

/**
 * Per-element visibility and bias of an {@link AttentionProblem}, precomputed once per call. Kept in one place so
 * that every backend and the oracle agree on what "masked" means; a backend may of course compute it its own way.
 */
public final class MaskView {
    private final AttentionSpec spec;
    private final int[] offsets;
    private final boolean[] keep;
    private final float[] bias;
    private final Mask.Broadcast broadcast;
    private final int[] keyLengths;

    MaskView(AttentionProblem problem) {
        this.spec = problem.spec();
        this.offsets = new int[spec.batch()];
        for (int b = 0; b < offsets.length; b++) offsets[b] = problem.positionOffset(b);
        Mask mask = problem.mask();
        this.broadcast = mask == null ? null
                : mask.broadcastTo(spec.batch(), spec.qHeads(), spec.qLength(), spec.kvLength());
        this.keep = mask instanceof Mask.Keep k ? k.keep() : null;
        this.bias = mask instanceof Mask.Bias b ? b.bias() : null;
        this.keyLengths = problem.keyLengths();
    }

    /** False when key {@code j} is hidden from query row {@code i} (a {@code -inf} bias counts as hidden). */
    public boolean visible(int b, int h, int i, int j) {
        int p = i + offsets[b];
        if (spec.causal() && j > p) return false;
        if (spec.window() != null && !spec.window().contains(p, j)) return false;
        if (keyLengths != null && j >= keyLengths[b]) return false;
        if (keep != null && !keep[broadcast.index(b, h, i, j)]) return false;
        return bias == null || bias[broadcast.index(b, h, i, j)] != Float.NEGATIVE_INFINITY;
    }

    /** The additive bias for a visible element (0 without an additive mask). */
    public float bias(int b, int h, int i, int j) {
        return bias == null ? 0f : bias[broadcast.index(b, h, i, j)];
    }

    public boolean hasBias() {
        return bias != null;
    }
}
