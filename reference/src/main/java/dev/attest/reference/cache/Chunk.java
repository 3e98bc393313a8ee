package dev.attest.reference.cache;

import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.Tensor;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * New tokens for every sequence of a batch, appended to a {@link CacheSpec cache} in one call. The chunk is
 * {@code n} rows wide; sequence b contributes {@code lengths[b]} tokens (0 to n: a ragged batch), placed as
 * {@link Padding} says. Padding rows are never read and their outputs are written as zero.
 *
 * <p>A core chunk carries Q (B, Hq, n, Dqk), K (B, Hkv, n, Dqk), V (B, Hkv, n, Dv); a layer chunk carries the input
 * X (B, n, dModel). The other tensors are {@code null}.
 */
public record Chunk(Tensor query, Tensor key, Tensor value, Tensor input, int[] lengths, Padding padding) {

    public Chunk {
        require(lengths != null, "a chunk needs per-sequence lengths");
        require(padding != null, "a chunk needs a padding side (RIGHT or LEFT)");
        lengths = lengths.clone();
        require(input == null || (query == null && key == null && value == null),
                "a chunk carries either Q, K, V (core) or X (layer), not both");
        require(input != null || (query != null && key != null && value != null),
                "a core chunk needs Q, K and V; a layer chunk needs X");
        Tensor first = input != null ? input : query;
        require(first.rank() == (input != null ? 3 : 4), "chunk %s has shape %s", input != null ? "X" : "Q",
                Arrays.toString(first.shape()));
        int width = input != null ? first.dim(1) : first.dim(2);
        for (int b = 0; b < lengths.length; b++) {
            require(lengths[b] >= 0 && lengths[b] <= width, "chunk length of sequence %d is %d, outside [0, n = %d]",
                    b, lengths[b], width);
        }
    }

    /** A core chunk; every sequence contributes all {@code n} rows. */
    public static Chunk core(Tensor query, Tensor key, Tensor value) {
        int[] lengths = new int[query.dim(0)];
        Arrays.fill(lengths, query.dim(2));
        return new Chunk(query, key, value, null, lengths, Padding.RIGHT);
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

    /** Chunk row holding token {@code t} (0-based among its valid tokens) of sequence {@code b}. */
    public int row(int b, int t) {
        return padding.firstRow(width(), lengths[b]) + t;
    }

    /** Checks the chunk against a cache spec, naming the tensor, the axis and both values. */
    public void requireMatches(CacheSpec spec) {
        if (matches(spec) && typesMatch(spec)) return;   // the allocation-free path a decode step takes
        AttentionSpec a = spec.attention();
        require(isLayer() == spec.isLayer(), "a %s chunk was given to a %s cache", isLayer() ? "layer (X)" : "core (Q, K, V)",
                spec.isLayer() ? "layer" : "core");
        dev.attest.reference.ElementType want = spec.types().activations();
        Tensor[] tensors = isLayer() ? new Tensor[]{input} : new Tensor[]{query, key, value};
        String[] names = isLayer() ? new String[]{"X"} : new String[]{"Q", "K", "V"};
        for (int i = 0; i < tensors.length; i++) {
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
            axes("K", key, new int[]{a.batch(), a.kvHeads(), n, a.qkHeadDim()}, new String[]{"B", "Hkv", "n", "Dqk"});
            axes("V", value, new int[]{a.batch(), a.kvHeads(), n, a.vHeadDim()}, new String[]{"B", "Hkv", "n", "Dv"});
        }
    }

    private boolean typesMatch(CacheSpec spec) {
        dev.attest.reference.ElementType want = spec.types().activations();
        return isLayer() ? input.type() == want
                : query.type() == want && key.type() == want && value.type() == want;
    }

    /** True when every shape agrees with {@code spec} (no message built, nothing allocated). */
    private boolean matches(CacheSpec spec) {
        AttentionSpec a = spec.attention();
        if (isLayer() != spec.isLayer() || lengths.length != a.batch()) return false;
        int n = width();
        if (isLayer()) return is(input, a.batch(), n, spec.layer().modelDim());
        return is(query, a.batch(), a.qHeads(), n, a.qkHeadDim()) && is(key, a.batch(), a.kvHeads(), n, a.qkHeadDim())
                && is(value, a.batch(), a.kvHeads(), n, a.vHeadDim());
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
        return (isLayer() ? "X" : "QKV") + " n=" + width() + " lengths=" + Arrays.toString(lengths)
                + (padding == Padding.LEFT ? " left-padded" : "");
    }
}
