package dev.attest.reference.packed;

import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Tensor;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * A packed variable-length batch (FlashAttention's {@code flash_attn_varlen_func}, FlashInfer's ragged tensors):
 * the tokens of B sequences stored one after another, Q (totalQ, Hq, Dqk), K (totalK, Hkv, Dqk), V (totalK, Hkv,
 * Dv) in any strides, with {@code queryOffsets} and {@code keyOffsets} ({@code cu_seqlens_q}, {@code cu_seqlens_k}:
 * B + 1 entries, from 0, never decreasing, ending at the total) marking where each sequence's rows begin. A
 * sequence may have no tokens. The output is (totalQ, Hq, Dv).
 *
 * <p>It means each sequence run alone ({@link #sequence(int)}): sequence b's queries against its own keys, with the
 * spec's options and its causal alignment resolved for that sequence's own lengths (bottom-right: {@code Sk_b -
 * Sq_b}, as FlashAttention's varlen kernel aligns it). A sequence with queries but no keys has all-zero output rows
 * (fully masked, DESIGN.md S5); one without queries has no rows.
 *
 * @param spec the options, with {@code batch} = B and {@code qLength}/{@code kvLength} the longest query and key
 *             sequences ({@code max_seqlen_q}, {@code max_seqlen_k}; 1 when every sequence is empty)
 */
public record PackedProblem(AttentionSpec spec, Tensor query, Tensor key, Tensor value, int[] queryOffsets,
                            int[] keyOffsets) {

    public PackedProblem {
        require(spec != null, "a packed problem needs a spec");
        CuSeqlens.requireNoKeyPadding(spec.alignment());
        queryOffsets = CuSeqlens.checked("cu_seqlens_q", queryOffsets, spec.batch(), "Q", rowsOf(query),
                shapeOf(query));
        keyOffsets = CuSeqlens.checked("cu_seqlens_k", keyOffsets, spec.batch(), "K", rowsOf(key), shapeOf(key));
        rows("Q", query, queryOffsets[spec.batch()], spec.qHeads(), spec.qkHeadDim(), "Hq", "Dqk");
        rows("K", key, keyOffsets[spec.batch()], spec.kvHeads(), spec.qkHeadDim(), "Hkv", "Dqk");
        rows("V", value, keyOffsets[spec.batch()], spec.kvHeads(), spec.vHeadDim(), "Hkv", "Dv");
        for (Tensor t : new Tensor[]{query, key, value}) {
            require(!t.type().isFp8(), "a packed batch is fp32, fp16 or bf16, not %s (fp8 would need a descale per"
                    + " sequence)", t.type());
        }
        int longestQ = CuSeqlens.longest(queryOffsets), longestK = CuSeqlens.longest(keyOffsets);
        require(spec.qLength() == Math.max(1, longestQ), "max_seqlen_q: the spec's Sq is %d but the longest query"
                + " sequence has %d tokens", spec.qLength(), longestQ);
        require(spec.kvLength() == Math.max(1, longestK), "max_seqlen_k: the spec's Skv is %d but the longest key"
                + " sequence has %d tokens", spec.kvLength(), longestK);
    }

    /** The rows of a packed (total, H, D) tensor, or -1 when it is not one. */
    static int rowsOf(Tensor t) {
        return t != null && t.rank() == 3 ? t.dim(0) : -1;
    }

    static String shapeOf(Tensor t) {
        return t == null ? "none" : Arrays.toString(t.shape()) + ", not (total, H, D)";
    }

    private static void rows(String name, Tensor t, int total, int heads, int dim, String headName, String dimName) {
        require(t.dim(1) == heads && t.dim(2) == dim, "%s has shape %s but the spec says (total, %s, %s) = (%d, %d, %d)",
                name, Arrays.toString(t.shape()), headName, dimName, total, heads, dim);
    }

    @Override
    public int[] queryOffsets() {
        return queryOffsets.clone();
    }

    @Override
    public int[] keyOffsets() {
        return keyOffsets.clone();
    }

    public int queryLength(int b) {
        return queryOffsets[b + 1] - queryOffsets[b];
    }

    public int keyLength(int b) {
        return keyOffsets[b + 1] - keyOffsets[b];
    }

    /** (totalQ, Hq, Dv). */
    public int[] outputShape() {
        return new int[]{queryOffsets[spec.batch()], spec.qHeads(), spec.vHeadDim()};
    }

    public Tensor allocateOutput() {
        return Tensor.zeros(outputShape());
    }

    public void requireOutput(Tensor out) {
        require(out != null && Arrays.equals(out.shape(), outputShape()), "output has shape %s but the packed problem"
                + " writes (totalQ, Hq, Dv) = %s", out == null ? "null" : Arrays.toString(out.shape()),
                Arrays.toString(outputShape()));
    }

    /**
     * Sequence b alone, as a dense (1, H, S, D) problem with its own lengths and its alignment resolved for them;
     * null when it has no queries or no keys (nothing to compute: no rows, or zero rows).
     */
    public AttentionProblem sequence(int b) {
        AttentionProblem view = sequenceView(b);
        return view == null ? null : new AttentionProblem(view.spec(), view.query().copy(), view.key().copy(),
                view.value().copy());
    }

    /** {@link #sequence(int)} as views into the packed tensors (strided (1, H, S, D), nothing copied). */
    public AttentionProblem sequenceView(int b) {
        int sq = queryLength(b), sk = keyLength(b);
        if (sq == 0 || sk == 0) return null;
        Alignment own = CuSeqlens.resolved(spec.alignment(), b, sq, sk);
        AttentionSpec one = spec.toBuilder().batch(1).lengths(sq, sk).masking(spec.causal(), own, spec.window()).build();
        return new AttentionProblem(one, rowsView(query, queryOffsets[b], sq), rowsView(key, keyOffsets[b], sk),
                rowsView(value, keyOffsets[b], sk));
    }

    /**
     * Runs {@code attention} on each sequence in place: its problem as views ({@link #sequenceView}), its output as
     * the view of its rows of {@code out}, strided (1, Hq, Sq_b, Dv); rows of a sequence without keys zeroed here.
     * For a backend whose kernels take strided tensors: no copy of the batch is made.
     */
    public void runEachInPlace(SequenceAttention attention, Tensor out) {
        for (int b = 0; b < spec.batch(); b++) {
            int sq = queryLength(b);
            if (sq == 0) continue;
            Tensor rows = rowsView(out, queryOffsets[b], sq);
            AttentionProblem alone = sequenceView(b);
            if (alone == null) rows.fill(0f);
            else attention.run(b, alone, rows);
        }
    }

    /**
     * Runs {@code attention} on each sequence alone (dense inputs and output) and writes its rows into {@code out};
     * rows of a sequence without keys are zero: the meaning of a packed batch, and a correct implementation of it.
     */
    public void runEach(SequenceAttention attention, Tensor out) {
        for (int b = 0; b < spec.batch(); b++) {
            int sq = queryLength(b), from = queryOffsets[b];
            AttentionProblem alone = sequence(b);
            if (alone == null) {
                for (int i = 0; i < sq; i++) {
                    for (int h = 0; h < spec.qHeads(); h++) {
                        for (int d = 0; d < spec.vHeadDim(); d++) out.set(0f, from + i, h, d);
                    }
                }
                continue;
            }
            Tensor rows = Tensor.zeros(out.type(), 1, spec.qHeads(), sq, spec.vHeadDim());
            attention.run(b, alone, rows);
            rowsView(out, from, sq).copyFrom(rows);     // the same type: every value, and so its bits, kept
        }
    }

    /** Attention of sequence b alone into its dense (1, Hq, Sq_b, Dv) rows. */
    @FunctionalInterface
    public interface SequenceAttention {
        void run(int b, AttentionProblem alone, Tensor rows);
    }

    /** Rows [from, from + n) of a packed (total, H, D) tensor seen as (1, H, n, D), no copy. */
    static Tensor rowsView(Tensor packed, int from, int n) {
        return packed.view(packed.index(from, 0, 0), new int[]{1, packed.dim(1), n, packed.dim(2)},
                new int[]{0, packed.stride(1), packed.stride(0), packed.stride(2)});
    }

    @Override
    public String toString() {
        return spec + " packed cu_seqlens_q=" + Arrays.toString(queryOffsets) + " cu_seqlens_k="
                + Arrays.toString(keyOffsets);
    }
}
