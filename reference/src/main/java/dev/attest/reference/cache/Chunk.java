package dev.attest.reference.cache;

import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.Mask;
import dev.attest.reference.Tensor;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * New tokens for every sequence of a batch, appended to a {@link CacheSpec cache} in one call. The chunk's queries
 * are {@code nq} rows wide and its new keys {@code nk} rows wide; sequence b contributes {@code lengths[b]} queries
 * (0 to nq) and {@code keyLengths[b]} keys (0 to nk: a ragged batch), each placed as {@link Padding} says. Padding
 * rows are never read and their outputs are written as zero.
 *
 * <pre>
 *   sequence b holds P_b keys (positions 0 .. P_b-1) before the chunk
 *   its new keys take positions P_b .. P_b + keyLengths[b] - 1; afterwards it holds P_b + keyLengths[b]
 *   its query t (0-based) sits at position P_b + t and sees held key j (after the chunk's keys are stored) iff
 *     causal cache:  j <= P_b + t            (ONNX: past/present with is_causal, offset = past length)
 *     and the window: P_b + t - left <= j <= P_b + t + right
 *     and the mask:   mask[b, h, row, j] keeps j (columns are absolute key positions; j past its last column is
 *                     masked, as ONNX pads a short attn_mask)
 * </pre>
 * Most chunks have one key per query ({@code keyLengths == lengths}): prefill pieces and decode steps. Others are
 * ONNX's past/present calls with {@code q_len != kv_len}, or a query-only chunk (no K and V) that reads a memory set
 * once (a non-causal cache opened from past K/V: cross-attention).
 *
 * <p>A core chunk carries Q (B, Hq, nq, Dqk) and K (B, Hkv, nk, Dqk), V (B, Hkv, nk, Dv), or no K and V at all; a
 * layer chunk carries the input X (B, n, dModel), one key per query. The other tensors are {@code null}.
 *
 * @param mask {@code null}, or a boolean or additive mask broadcast to (B, Hq, nq, S): rows are the chunk's query
 *             rows, columns absolute key positions {@code 0 .. S-1}
 */
public record Chunk(Tensor query, Tensor key, Tensor value, Tensor input, int[] lengths, int[] keyLengths,
                    Padding padding, Mask mask) {

    /** A chunk with one key per query and no mask. */
    public Chunk(Tensor query, Tensor key, Tensor value, Tensor input, int[] lengths, Padding padding) {
        this(query, key, value, input, lengths, key == null && input == null && lengths != null
                ? new int[lengths.length] : lengths, padding, null);
    }

    public Chunk {
        require(lengths != null, "a chunk needs per-sequence lengths");
        require(keyLengths != null, "a chunk needs per-sequence key lengths");
        require(padding != null, "a chunk needs a padding side (RIGHT or LEFT)");
        lengths = lengths.clone();
        keyLengths = keyLengths.clone();
        require(input == null || (query == null && key == null && value == null),
                "a chunk carries either Q, K, V (core) or X (layer), not both");
        require(input != null || query != null, "a core chunk needs Q (and K, V unless it only queries); a layer "
                + "chunk needs X");
        require((key == null) == (value == null), "a core chunk carries K and V together (or neither)");
        Tensor first = input != null ? input : query;
        require(first.rank() == (input != null ? 3 : 4), "chunk %s has shape %s", input != null ? "X" : "Q",
                Arrays.toString(first.shape()));
        require(key == null || key.rank() == 4, "chunk K has shape %s", key == null ? "" : Arrays.toString(key.shape()));
        require(lengths.length == keyLengths.length, "chunk lengths have %d entries but key lengths %d",
                lengths.length, keyLengths.length);
        int width = input != null ? first.dim(1) : first.dim(2);
        int keyWidth = input != null ? width : key == null ? 0 : key.dim(2);
        for (int b = 0; b < lengths.length; b++) {
            require(lengths[b] >= 0 && lengths[b] <= width, "chunk length of sequence %d is %d, outside [0, n = %d]",
                    b, lengths[b], width);
            require(keyLengths[b] >= 0 && keyLengths[b] <= keyWidth, "chunk key length of sequence %d is %d, outside "
                    + "[0, nk = %d]", b, keyLengths[b], keyWidth);
            require(input == null || keyLengths[b] == lengths[b], "a layer chunk has one key per token: sequence %d "
                    + "has %d tokens but key length %d", b, lengths[b], keyLengths[b]);
        }
    }

    /** A core chunk; every sequence contributes all its rows of Q and of K and V ({@code key} may be null). */
    public static Chunk core(Tensor query, Tensor key, Tensor value) {
        int[] lengths = new int[query.dim(0)], keyLengths = new int[query.dim(0)];
        Arrays.fill(lengths, query.dim(2));
        Arrays.fill(keyLengths, key == null ? 0 : key.dim(2));
        return new Chunk(query, key, value, null, lengths, keyLengths, Padding.RIGHT, null);
    }

    /** The same chunk with a mask over absolute key positions. */
    public Chunk withMask(Mask newMask) {
        return new Chunk(query, key, value, input, lengths, keyLengths, padding, newMask);
    }

    /** A layer chunk; every sequence contributes all {@code n} rows. */
    public static Chunk layer(Tensor input) {
        int[] lengths = new int[input.dim(0)];
        Arrays.fill(lengths, input.dim(1));
        return new Chunk(null, null, null, input, lengths, Padding.RIGHT);
    }

    public boolean isLayer() {
        return input != null;
    }

    /** Rows n of the chunk. */
    public int width() {
        return input != null ? input.dim(1) : query.dim(2);
    }

    public int batch() {
        return input != null ? input.dim(0) : query.dim(0);
    }

    /** Rows nk of the chunk's new keys: 0 for a query-only chunk, n for a layer chunk. */
    public int keyWidth() {
        return input != null ? width() : key == null ? 0 : key.dim(2);
    }

    /** Chunk row holding query {@code t} (0-based among its valid tokens) of sequence {@code b}. */
    public int row(int b, int t) {
        return padding.firstRow(width(), lengths[b]) + t;
    }

    /** Chunk row of K and V holding new key {@code t} of sequence {@code b}. */
    public int keyRow(int b, int t) {
        return padding.firstRow(keyWidth(), keyLengths[b]) + t;
    }

    /** True unless every sequence brings one key per query: a chunk that needs {@code KV_CACHE_UNEVEN_CHUNKS}. */
    public boolean uneven() {
        return !Arrays.equals(lengths, keyLengths) || keyWidth() != width();
    }

    /**
     * The mask of sequence b's valid queries over the {@code held} keys it holds after this chunk, as a mask of one
     * full attention problem: (1, Hm, lengths[b], held) with Hm = 1 or Hq as stored; a column past the mask's last
     * is masked. {@code null} without a mask.
     */
    public Mask sequenceMask(int b, int held, int qHeads) {
        if (mask == null) return null;
        int[] shape = mask.shape();
        int columns = shape[shape.length - 1], rows = lengths[b];
        int heads = shape.length >= 3 && shape[shape.length - 3] > 1 ? qHeads : 1;
        Mask.Broadcast at = mask.broadcastTo(batch(), qHeads, width(), columns);
        int size = heads * rows * held;
        boolean[] keep = mask instanceof Mask.Keep ? new boolean[size] : null;
        float[] bias = keep == null ? new float[size] : null;
        for (int h = 0; h < heads; h++) {
            for (int t = 0; t < rows; t++) {
                for (int j = 0; j < held; j++) {
                    int to = (h * rows + t) * held + j;
                    if (j >= columns) {
                        if (bias != null) bias[to] = Float.NEGATIVE_INFINITY;
                        continue;
                    }
                    int from = at.index(b, h, row(b, t), j);
                    if (keep != null) keep[to] = ((Mask.Keep) mask).keep()[from];
                    else bias[to] = ((Mask.Bias) mask).bias()[from];
                }
            }
        }
        int[] out = {1, heads, rows, held};
        return keep != null ? new Mask.Keep(keep, out) : new Mask.Bias(bias, out);
    }

    /** Checks the chunk against a cache spec, naming the tensor, the axis and both values. */
    public void requireMatches(CacheSpec spec) {
        if (matches(spec) && typesMatch(spec)) {         // the allocation-free path a decode step takes
            if (mask != null || spec.eviction() == Eviction.SLIDING_WINDOW) requireFitsCache(spec);
            return;
        }
        AttentionSpec a = spec.attention();
        require(isLayer() == spec.isLayer(), "a %s chunk was given to a %s cache", isLayer() ? "layer (X)" : "core (Q, K, V)",
                spec.isLayer() ? "layer" : "core");
        dev.attest.reference.ElementType want = spec.types().activations();
        Tensor[] tensors = isLayer() ? new Tensor[]{input} : new Tensor[]{query, key, value};
        String[] names = isLayer() ? new String[]{"X"} : new String[]{"Q", "K", "V"};
        for (int i = 0; i < tensors.length; i++) {
            if (tensors[i] == null) continue;                // a query-only chunk has no K and V
            require(tensors[i].type() == want, "chunk %s is %s but the cache takes %s chunks (%s)", names[i],
                    tensors[i].type(), want, spec.types());
        }
        require(lengths.length == a.batch(), "chunk lengths have %d entries but batch B = %d", lengths.length, a.batch());
        int n = width();
        if (isLayer()) {
            LayerSpec l = spec.layer();
            axes("X", input, new int[]{a.batch(), n, l.modelDim()}, new String[]{"B", "n", "dModel"});
        } else {
            axes("Q", query, new int[]{a.batch(), a.qHeads(), n, a.qkHeadDim()}, new String[]{"B", "Hq", "n", "Dqk"});
            if (key != null) {
                int nk = keyWidth();
                axes("K", key, new int[]{a.batch(), a.kvHeads(), nk, a.qkHeadDim()}, new String[]{"B", "Hkv", "nk", "Dqk"});
                axes("V", value, new int[]{a.batch(), a.kvHeads(), nk, a.vHeadDim()}, new String[]{"B", "Hkv", "nk", "Dv"});
            }
        }
        requireFitsCache(spec);
    }

    /** What a shape check cannot see: a ring takes one key per query; a mask broadcasts to (B, Hq, nq, S). */
    private void requireFitsCache(CacheSpec spec) {
        if (spec.eviction() == Eviction.SLIDING_WINDOW && uneven()) {
            require(false, "a ring buffer cache takes one key per query; this chunk has query lengths %s and key "
                    + "lengths %s (nq = %d, nk = %d)", Arrays.toString(lengths), Arrays.toString(keyLengths), width(),
                    keyWidth());
        }
        if (mask != null) {
            int[] shape = mask.shape();
            mask.broadcastTo(batch(), spec.attention().qHeads(), width(), shape[shape.length - 1]);
        }
    }

    private boolean typesMatch(CacheSpec spec) {
        dev.attest.reference.ElementType want = spec.types().activations();
        return isLayer() ? input.type() == want
                : query.type() == want && (key == null || (key.type() == want && value.type() == want));
    }

    /** True when every shape agrees with {@code spec} (no message built, nothing allocated). */
    private boolean matches(CacheSpec spec) {
        AttentionSpec a = spec.attention();
        if (isLayer() != spec.isLayer() || lengths.length != a.batch()) return false;
        int n = width();
        if (isLayer()) return is(input, a.batch(), n, spec.layer().modelDim());
        int nk = keyWidth();
        return is(query, a.batch(), a.qHeads(), n, a.qkHeadDim()) && (key == null
                || (is(key, a.batch(), a.kvHeads(), nk, a.qkHeadDim()) && is(value, a.batch(), a.kvHeads(), nk, a.vHeadDim())));
    }

    private static boolean is(Tensor t, int d0, int d1, int d2) {
        return t.rank() == 3 && t.dim(0) == d0 && t.dim(1) == d1 && t.dim(2) == d2;
    }

    private static boolean is(Tensor t, int d0, int d1, int d2, int d3) {
        return t.rank() == 4 && t.dim(0) == d0 && t.dim(1) == d1 && t.dim(2) == d2 && t.dim(3) == d3;
    }

    private static void axes(String name, Tensor t, int[] expected, String[] names) {
        require(t.rank() == expected.length, "chunk %s must have %d axes %s, got shape %s", name, expected.length,
                Arrays.toString(names), Arrays.toString(t.shape()));
        for (int axis = 0; axis < expected.length; axis++) {
            require(t.dim(axis) == expected[axis], "chunk %s axis %d (%s) is %d but the cache spec says %s = %d",
                    name, axis, names[axis], t.dim(axis), names[axis], expected[axis]);
        }
    }

    /** Shape of the outputs of appending this chunk: (B, Hq, n, Dv) for core, (B, n, dOut) for the layer. */
    public int[] outputShape(CacheSpec spec) {
        AttentionSpec a = spec.attention();
        return spec.isLayer() ? new int[]{a.batch(), width(), spec.layer().outputDim()}
                : new int[]{a.batch(), a.qHeads(), width(), a.vHeadDim()};
    }

    @Override
    public String toString() {
        return (isLayer() ? "X" : key == null ? "Q" : "QKV") + " n=" + width() + " lengths=" + Arrays.toString(lengths)
                + (uneven() ? " nk=" + keyWidth() + " key lengths=" + Arrays.toString(keyLengths) : "")
                + (padding == Padding.LEFT ? " left-padded" : "")
                + (mask == null ? "" : " mask" + Arrays.toString(mask.shape()));
    }
}
