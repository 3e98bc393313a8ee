package dev.attest.reference.cache;

import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.Window;

import static dev.attest.reference.InvalidProblemException.require;
import static dev.attest.reference.InvalidProblemException.requirePositive;

/**
 * A KV cache (incremental decoding, DESIGN.md "KV cache"): which attention it serves, how many tokens per sequence
 * it holds, and what happens when it is full.
 *
 * <pre>
 *   append(chunk of n tokens per sequence b, past P_b) -> outputs of tokens at absolute positions P_b .. P_b+n-1
 *     query t of the chunk sees cached keys 0..P_b-1 and chunk keys 0..t: causal with offset = past length
 *     (Alignment.offset(P_b)), intersected with the window p - left <= j when one is set
 *   the layer: the chunk's K/V are projected once, rotated at their absolute positions, and cached
 * </pre>
 *
 * @param attention the core attention per step: batch B, heads, head dims, scale, softcap, window. Its query and
 *                  key lengths are not used (a chunk has its own); it must be causal, since the alignment of a
 *                  cache is always the past length
 * @param layer     the multi-head layer around it (self-attention; its core is {@code attention}), or {@code null}
 *                  for a core attention cache fed with Q, K, V
 * @param capacity  the most tokens per sequence the cache holds (with {@link Eviction#SLIDING_WINDOW}: at a time)
 * @param eviction  what happens when a sequence reaches {@code capacity}
 * @param types     the chunks' and outputs' element type and the type keys and values are stored in
 *                  ({@link CacheTypes}: fp32 throughout unless said otherwise; a layer cache is fp32)
 */
public record CacheSpec(AttentionSpec attention, LayerSpec layer, int capacity, Eviction eviction, CacheTypes types) {

    /** An fp32 cache. */
    public CacheSpec(AttentionSpec attention, LayerSpec layer, int capacity, Eviction eviction) {
        this(attention, layer, capacity, eviction, CacheTypes.FP32);
    }

    public CacheSpec {
        require(types != null, "a cache needs its element types (CacheTypes.FP32 for fp32)");
        require(attention != null, "a cache needs a core attention spec");
        require(eviction != null, "a cache needs an eviction policy (NONE or SLIDING_WINDOW)");
        requirePositive("cache capacity", capacity);
        require(attention.causal(), "a KV cache attends causally (offset = past length); the spec is not causal: %s",
                attention);
        if (layer != null) {
            require(layer.core().equals(attention), "the layer's core spec %s differs from the cache's %s",
                    layer.core(), attention);
            require(!layer.crossAttention(), "a KV cache serves self-attention; the layer has a cross-attention "
                    + "memory of width %d", layer.memoryDim());
        }
        require(layer == null || types.isFp32(), "a layer cache is fp32 (the layer takes fp32 weights and inputs); "
                + "this one asks for %s", types);
        if (attention != null) {
            requireDescaleFits("k_descale", types.keyDescale(), attention);
            requireDescaleFits("v_descale", types.valueDescale(), attention);
        }
        if (eviction == Eviction.SLIDING_WINDOW) {
            Window w = attention.window();
            require(w != null && w.left() != Window.UNBOUNDED,
                    "SLIDING_WINDOW eviction needs a window with a finite left extent, the spec has %s", w);
            require(capacity >= w.left() + 1, "a ring buffer of capacity %d cannot hold a window of %d keys "
                    + "(left extent %d + the query's own key)", capacity, w.left() + 1, w.left());
        }
    }

    private static void requireDescaleFits(String name, dev.attest.reference.Descale d, AttentionSpec a) {
        if (d == null) return;
        require(d.batches() == 1 || d.batches() == a.batch(), "%s has %d batches; the cache has B = %d (give 1 or B)",
                name, d.batches(), a.batch());
        require(d.heads() == 1 || d.heads() == a.kvHeads(), "%s has %d heads; the cache has Hkv = %d (give 1 or Hkv)",
                name, d.heads(), a.kvHeads());
    }

    /** The same cache holding {@code newTypes}. */
    public CacheSpec withTypes(CacheTypes newTypes) {
        return new CacheSpec(attention, layer, capacity, eviction, newTypes);
    }

    /** A core attention cache fed with Q, K, V chunks. */
    public static CacheSpec core(AttentionSpec attention, int capacity, Eviction eviction) {
        return new CacheSpec(attention, null, capacity, eviction);
    }

    /** A layer cache fed with input chunks X. */
    public static CacheSpec layer(LayerSpec layer, int capacity, Eviction eviction) {
        return new CacheSpec(layer == null ? null : layer.core(), layer, capacity, eviction);
    }

    public boolean isLayer() {
        return layer != null;
    }

    public int batch() {
        return attention.batch();
    }

    /** Keys a query at position {@code p} may see start here (0 without a window). */
    public int firstVisibleKey(int p) {
        Window w = attention.window();
        return w == null || w.left() == Window.UNBOUNDED ? 0 : Math.max(0, p - w.left());
    }

    @Override
    public String toString() {
        return (layer != null ? layer.toString() : attention.toString()) + " cache=" + capacity
                + (eviction == Eviction.NONE ? "" : " ring") + (types.isFp32() ? "" : " " + types);
    }
}
