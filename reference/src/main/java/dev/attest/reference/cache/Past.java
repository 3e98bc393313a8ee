package dev.attest.reference.cache;

import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Tensor;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * Keys and values a cache is opened with (ONNX {@code past_key}/{@code past_value}, FlashAttention's {@code k_cache}
 * with {@code cache_seqlens}): sequence b holds the rows {@code [0, lengths[b])} of K and V at positions
 * {@code 0 .. lengths[b]-1}; rows after them are never read (they may hold anything, NaN included). A cache opened
 * from them is the cache that appended them: {@code presentKey()} of a cache without eviction, with its
 * {@code lengths()}, opens the same cache again.
 *
 * <p>K (B, Hkv, P, Dqk) and V (B, Hkv, P, Dv) are in the cache's activation type, as a chunk's K and V are, and are
 * stored as appended keys are (so an fp8 cache quantises them under its descales).
 */
public record Past(Tensor key, Tensor value, int[] lengths) {

    public Past {
        require(key != null && value != null, "past K and V must both be given");
        require(key.rank() == 4 && value.rank() == 4, "past K and V are (B, Hkv, P, D); got shapes %s and %s",
                Arrays.toString(key.shape()), Arrays.toString(value.shape()));
        require(lengths != null, "past needs per-sequence lengths");
        lengths = lengths.clone();
        int rows = key.dim(2);
        require(value.dim(2) == rows && value.dim(0) == key.dim(0) && value.dim(1) == key.dim(1),
                "past V has shape %s but past K %s (B, Hkv and P must agree)", Arrays.toString(value.shape()),
                Arrays.toString(key.shape()));
        require(lengths.length == key.dim(0), "past lengths have %d entries but past K has batch B = %d",
                lengths.length, key.dim(0));
        for (int b = 0; b < lengths.length; b++) {
            require(lengths[b] >= 0 && lengths[b] <= rows, "past length of sequence %d is %d, outside [0, P = %d]",
                    b, lengths[b], rows);
        }
    }

    /** Every sequence holds all P rows (ONNX's past_key, one past length for the batch). */
    public static Past of(Tensor key, Tensor value) {
        int[] lengths = new int[key.dim(0)];
        Arrays.fill(lengths, key.dim(2));
        return new Past(key, value, lengths);
    }

    /** Checks the past against a cache, naming the tensor, axis and both values. */
    public void requireMatches(CacheSpec spec) {
        require(!spec.isLayer(), "a layer cache is filled by its input X (its keys are projections); past K and V "
                + "open a core cache");
        AttentionSpec a = spec.attention();
        require(key.type() == spec.types().activations() && value.type() == spec.types().activations(),
                "past K/V are %s/%s but the cache takes %s keys (%s)", key.type(), value.type(),
                spec.types().activations(), spec.types());
        String[] names = {"B", "Hkv", "P", "Dqk"};
        int[] want = {a.batch(), a.kvHeads(), key.dim(2), a.qkHeadDim()};
        for (int axis = 0; axis < 4; axis++) {
            require(key.dim(axis) == want[axis], "past K axis %d (%s) is %d but the cache spec says %s = %d", axis,
                    names[axis], key.dim(axis), names[axis], want[axis]);
        }
        require(value.dim(3) == a.vHeadDim(), "past V axis 3 (Dv) is %d but the cache spec says Dv = %d",
                value.dim(3), a.vHeadDim());
    }

    /**
     * The past as one chunk that appends its keys: without queries when {@code keysOnly} (an uneven chunk: no
     * attention is computed), else with one zero query per key (outputs discarded). Appending it fills a cache
     * exactly as opening from the past does; the default {@code AttentionBackend.openCache(spec, past)} does that.
     */
    public Chunk asChunk(CacheSpec spec, boolean keysOnly) {
        AttentionSpec a = spec.attention();
        Tensor queries = Tensor.zeros(key.type(), a.batch(), a.qHeads(), keysOnly ? 1 : key.dim(2), a.qkHeadDim());
        return new Chunk(queries, key, value, null, keysOnly ? new int[lengths.length] : lengths, lengths,
                Padding.RIGHT, null);
    }
}
