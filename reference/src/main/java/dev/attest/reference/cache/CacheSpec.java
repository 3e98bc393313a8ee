package dev.attest.reference.cache;

import dev.attest.reference.Alignment;
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
 *   append(chunk: nq queries and nk new keys per sequence b, past P_b) -> outputs of the queries at P_b .. P_b+nq-1
 *     causal cache:     query t sees held keys j <= P_b + t (Alignment.offset(P_b)); one key per query means the
 *                       cached keys and chunk keys 0..t
 *     non-causal cache: query t sees every held key (a cross-attention memory, a bidirectional prefix)
 *     intersected with the window P_b + t - left <= j <= P_b + t + right when one is set, and the chunk's mask
 *   the layer: the chunk's K/V are projected once, rotated at their absolute positions, and cached
 * </pre>
 *
 * <p>A cache has no sequence lengths of its own (a chunk has its own): {@link #attention()} is the one full pass
 * over {@code capacity} tokens the cache stands for, Sq = Skv = capacity, TOP_LEFT aligned when causal or windowed.
 * The lengths and alignment of the spec given are replaced by those, so build it without lengths
 * ({@code AttentionSpec.builder()} defaults them) and with any alignment.
 *
 * @param attention the core attention per step: batch B, heads, head dims, scale, softcap, window, causal or not
 * @param layer     the multi-head layer around it (causal self-attention; its core is {@code attention}), or
 *                  {@code null} for a core attention cache fed with Q, K, V
 * @param capacity  the most tokens per sequence the cache holds (with {@link Eviction#SLIDING_WINDOW}: at a time)
 * @param eviction  what happens when a sequence reaches {@code capacity}
 * @param types     the chunks' and outputs' element type and the type keys and values are stored in
 *                  ({@link CacheTypes}: fp32 throughout unless said otherwise; a layer cache is fp32)
 * @param blockSize 0 for keys and values stored contiguously per sequence; else a paged cache (vLLM's, FlashInfer's):
 *                  a pool of blocks of {@code blockSize} slots shared by the batch, each sequence a block table,
 *                  blocks taken as sequences grow and given back when a rollback empties them. Paging is storage,
 *                  not meaning: a paged cache computes what the contiguous one does (feature {@code PAGED_KV})
 */
public record CacheSpec(AttentionSpec attention, LayerSpec layer, int capacity, Eviction eviction, CacheTypes types,
                        int blockSize) {

    /** An fp32 cache. */
    public CacheSpec(AttentionSpec attention, LayerSpec layer, int capacity, Eviction eviction) {
        this(attention, layer, capacity, eviction, CacheTypes.FP32);
    }

    /** A contiguous cache. */
    public CacheSpec(AttentionSpec attention, LayerSpec layer, int capacity, Eviction eviction, CacheTypes types) {
        this(attention, layer, capacity, eviction, types, 0);
    }

    public CacheSpec {
        require(types != null, "a cache needs its element types (CacheTypes.FP32 for fp32)");
        require(attention != null, "a cache needs a core attention spec");
        require(eviction != null, "a cache needs an eviction policy (NONE or SLIDING_WINDOW)");
        requirePositive("cache capacity", capacity);
        require(blockSize >= 0, "cache block size must be >= 0 (0 = contiguous), was %d", blockSize);
        AttentionSpec given = attention;
        attention = fullPass(attention, capacity);
        if (layer != null) {
            require(fullPass(layer.core(), capacity).equals(attention), "the layer's core spec %s differs from the "
                    + "cache's %s", layer.core(), given);
            require(!layer.crossAttention(), "a KV cache serves self-attention; the layer has a cross-attention "
                    + "memory of width %d", layer.memoryDim());
            require(attention.causal(), "a layer cache attends causally (its queries are its keys); the spec is not "
                    + "causal: %s", given);
            layer = new LayerSpec(attention, layer.modelDim(), 0, layer.outputDim(), layer.biases(), layer.rotary(),
                    layer.loraRank());
        }
        require(layer == null || types.isFp32(), "a layer cache is fp32 (the layer takes fp32 weights and inputs); "
                + "this one asks for %s", types);
        requireDescaleFits("k_descale", types.keyDescale(), attention);
        requireDescaleFits("v_descale", types.valueDescale(), attention);
        if (eviction == Eviction.SLIDING_WINDOW) {
            Window w = attention.window();
            require(attention.causal(), "SLIDING_WINDOW eviction serves a causal cache; the spec is not causal: %s",
                    given);
            require(w != null && w.left() != Window.UNBOUNDED,
                    "SLIDING_WINDOW eviction needs a window with a finite left extent, the spec has %s", w);
            require(capacity >= w.left() + 1, "a ring buffer of capacity %d cannot hold a window of %d keys "
                    + "(left extent %d + the query's own key)", capacity, w.left() + 1, w.left());
        }
    }

    /** {@code spec} as the full pass over {@code capacity} tokens: its lengths and alignment are not the cache's. */
    private static AttentionSpec fullPass(AttentionSpec spec, int capacity) {
        AttentionSpec.Builder b = spec.toBuilder().lengths(capacity, capacity);
        boolean aligned = spec.causal() || spec.window() != null;
        return b.masking(spec.causal(), aligned ? Alignment.TOP_LEFT : null, spec.window()).build();
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
        return new CacheSpec(attention, layer, capacity, eviction, newTypes, blockSize);
    }

    /** The same cache paged in blocks of {@code newBlockSize} slots (0: contiguous). */
    public CacheSpec paged(int newBlockSize) {
        return new CacheSpec(attention, layer, capacity, eviction, types, newBlockSize);
    }

    public boolean isPaged() {
        return blockSize > 0;
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
        return w == null || w.left() == Window.UNBOUNDED ? 0 : (int) Math.max(0, (long) p - w.left());
    }

    /**
     * The last key a query at position {@code p} may see when its sequence holds {@code held} keys: {@code p} when
     * causal, {@code p + right} with a window, else the last held key ({@code held - 1}, so -1 when none).
     */
    public int lastVisibleKey(int p, int held) {
        long last = held - 1L;
        if (attention.causal()) last = Math.min(last, p);
        Window w = attention.window();
        if (w != null && w.right() != Window.UNBOUNDED) last = Math.min(last, (long) p + w.right());
        return (int) last;
    }

    @Override
    public String toString() {
        return (layer != null ? layer.toString() : attention.toString()) + " cache=" + capacity
                + (attention.causal() ? "" : " non-causal")
                + (eviction == Eviction.NONE ? "" : " ring") + (blockSize > 0 ? " paged=" + blockSize : "")
                + (types.isFp32() ? "" : " " + types);
    }
}
