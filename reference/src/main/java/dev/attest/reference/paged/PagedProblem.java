package dev.attest.reference.paged;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Layout;
import dev.attest.reference.Mask;
import dev.attest.reference.Tensor;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * Core attention over a paged KV: queries (B, Hq, Sq, Dqk) against each sequence's own keys and values, read
 * through its block table ({@link PagedKv}). It means exactly the contiguous problem {@link #contiguous()}: K and V
 * gathered to (B, Hkv, Skv, D) with sequence b's tokens at rows {@code 0 .. lengths[b]-1}, and those lengths as key
 * padding; so a causal mask aligned with {@link dev.attest.reference.Alignment#KEY_LENGTHS} is FlashAttention's
 * {@code flash_attn_with_kvcache(block_table=..., cache_seqlens=...)}.
 *
 * @param spec  the attention; {@code kvLength()} is the key axis of the contiguous view, at least the longest
 *              sequence (the mask, if any, is broadcast to it)
 * @param mask  optional boolean or additive mask over (B, Hq, Sq, Skv)
 */
public record PagedProblem(AttentionSpec spec, Tensor query, PagedKv kv, Mask mask) {

    public PagedProblem {
        require(spec != null && kv != null, "a paged problem needs a spec and a paged KV");
        require(query != null && Arrays.equals(query.shape(), new int[]{spec.batch(), spec.qHeads(), spec.qLength(),
                spec.qkHeadDim()}), "Q has shape %s but the spec says (B, Hq, Sq, Dqk) = (%d, %d, %d, %d)",
                query == null ? "null" : Arrays.toString(query.shape()), spec.batch(), spec.qHeads(), spec.qLength(),
                spec.qkHeadDim());
        require(kv.batch() == spec.batch(), "the paged KV has %d sequences but batch B = %d", kv.batch(), spec.batch());
        require(kv.keys().heads() == spec.kvHeads(), "the pools hold %d kv heads but Hkv = %d", kv.keys().heads(),
                spec.kvHeads());
        require(kv.keys().dim() == spec.qkHeadDim(), "key blocks have head dim %d but Dqk = %d", kv.keys().dim(),
                spec.qkHeadDim());
        require(kv.values().dim() == spec.vHeadDim(), "value blocks have head dim %d but Dv = %d", kv.values().dim(),
                spec.vHeadDim());
        for (int b = 0; b < kv.batch(); b++) {
            require(kv.length(b) <= spec.kvLength(), "sequence %d has length %d, beyond the key axis Skv = %d", b,
                    kv.length(b), spec.kvLength());
        }
        if (mask != null) mask.broadcastTo(spec.batch(), spec.qHeads(), spec.qLength(), spec.kvLength());
    }

    /** The same attention with K and V gathered: what this problem means, and what the oracle computes. */
    public AttentionProblem contiguous() {
        return new AttentionProblem(spec, query, kv.gatherKeys(spec.kvLength()), kv.gatherValues(spec.kvLength()), mask,
                kv.lengths());
    }

    /** Position offset of sequence b's query rows among its keys (its length is its key length). */
    public int positionOffset(int b) {
        return spec.positionOffset(b, kv.length(b));
    }

    public int[] outputShape() {
        return new int[]{spec.batch(), spec.qHeads(), spec.qLength(), spec.vHeadDim()};
    }

    /** Checks a caller-supplied output tensor against (B, Hq, Sq, Dv). */
    public void requireOutput(Tensor out) {
        require(out != null && Arrays.equals(out.shape(), outputShape()), "output has shape %s but the paged problem"
                + " writes (B, Hq, Sq, Dv) = %s", out == null ? "null" : Arrays.toString(out.shape()),
                Arrays.toString(outputShape()));
    }

    public Tensor allocateOutput(Layout layout) {
        return layout.allocate(spec.batch(), spec.qHeads(), spec.qLength(), spec.vHeadDim());
    }

    @Override
    public String toString() {
        return spec + " paged: " + kv;
    }
}
