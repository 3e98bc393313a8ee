package dev.attest.properties.contract;

import dev.attest.properties.cases.CacheCase;
import dev.attest.reference.cache.Chunk;
import dev.attest.reference.cache.Padding;
import dev.attest.properties.judge.Bitwise;
import dev.attest.properties.judge.Expectation;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;
import org.junit.jupiter.api.Assumptions;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static dev.attest.spi.Feature.*;

/** The KV cache clause (S9) of the conformance kit: see {@link AttentionContract}. */
public abstract class CacheProperties extends KitSupport {
    // ---------------------------------------------------------------------------------------------------------
    // S9 KV cache

    /**
     * k for outputs of a cache: 2, as for core outputs. Each output of a cached step is the same reduction over the
     * same keys as its row of the full pass (only where the keys are read from differs), so the full pass's plain
     * naive baseline bounds it in the same way. The layer's cached outputs use {@link #LAYER_K}.
     */
    public static final double CACHE_K = 2;

    /**
     * Any split of a sequence into appends (prefill pieces, then single-token decodes, in any pattern the generator
     * picks), in a batch whose sequences have their own lengths and splits, gives the outputs of one full causal
     * pass over each sequence, within the tolerance model (k = {@link #CACHE_K}).
     * If this fails, check: the causal offset of a chunk (it is the past length, not 0); the new tokens' keys stored
     * before later tokens read them (a stale cache); one sequence's length used as another's offset.
     */
    @Test
    public void required_S9_any_split_into_chunks_gives_the_outputs_of_one_full_causal_pass() {
        requireCache();
        property(Clause.S9, cacheCases(), c -> new CacheRun(backend(), c, 0).playAll(0)
                .requireEqualsFullPass(precision(), CACHE_K));
    }

    /**
     * The layer over any split (K and V projected once per token and cached; biases, LoRA and rotary as declared)
     * gives the outputs of the layer's one full causal pass, within the tolerance model (k = {@link #LAYER_K}).
     * If this fails, check: new tokens projected but not cached; cached keys projected again (twice rotated); the
     * output projection applied to padding rows.
     */
    @Test
    public void required_S9_the_layer_over_any_split_gives_the_outputs_of_one_full_causal_pass() {
        requireCache(LAYER);
        property(Clause.S9, layerCacheCases(), c -> new CacheRun(backend(), c, 0).playAll(0)
                .requireEqualsFullPass(precision(), LAYER_K));
    }

    /**
     * The cached keys and values ({@code presentKey}, {@code presentValue}) after any split equal those of one
     * prefill of the whole sequence, bit for bit (the same token's projection, rotated at the same position); for a
     * core cache without eviction they equal the appended K and V themselves, in position order.
     * If this fails, check: a token's K/V written at the wrong slot; rotary applied at a chunk-relative position;
     * a projection whose rounding depends on the chunk size; present_key not concat(past_key, key).
     */
    @Test
    public void required_S9_cached_keys_and_values_equal_those_of_the_full_pass_bit_for_bit() {
        requireCache();
        boolean layer = capabilities().supports(LAYER);
        property(Clause.S9, cacheCases(), c -> {
            CacheRun chunked = new CacheRun(backend(), c, 0).playAll(0);
            CacheRun once = new CacheRun(backend(), c.asOnePrefill(), 0).playAll(0);
            for (Tensor present : List.of(chunked.cache.presentKey(), chunked.cache.presentValue())) {
                if (present.type() != c.types().storage()) {
                    fail("present_key/present_value are not in the cache's storage type", "cache", c.types().toString(),
                            "but present is", present.type().toString());
                }
            }
            Bitwise.requireIdentical("cached keys differ from those of one prefill", once.cache.presentKey(),
                    chunked.cache.presentKey());
            Bitwise.requireIdentical("cached values differ from those of one prefill", once.cache.presentValue(),
                    chunked.cache.presentValue());
            if (!c.ring()) {
                Tensor key = chunked.cache.presentKey(), value = chunked.cache.presentValue();
                for (int b = 0; b < c.batch(); b++) {
                    AttentionProblem full = chunked.fullPass(b);
                    Bitwise.requireIdentical("present_key of sequence " + b + " is not concat(past_key, key)",
                            full.key(), rows(key, b, c.length(b)));
                    Bitwise.requireIdentical("present_value of sequence " + b + " is not concat(past_value, value)",
                            full.value(), rows(value, b, c.length(b)));
                }
            }
            if (layer) {
                CacheCase l = c.withLayer(c.qHeads() * c.qkHeadDim(), 2, capabilities().supports(PROJECTION_BIAS),
                        c.qkHeadDim() >= 2 && capabilities().supports(ROTARY) ? 2 : 0, 0);
                CacheRun lc = new CacheRun(backend(), l, 0).playAll(0);
                CacheRun lo = new CacheRun(backend(), l.asOnePrefill(), 0).playAll(0);
                Bitwise.requireIdentical("the layer's cached keys differ from those of one prefill",
                        lo.cache.presentKey(), lc.cache.presentKey());
                Bitwise.requireIdentical("the layer's cached values differ from those of one prefill",
                        lo.cache.presentValue(), lc.cache.presentValue());
            }
        });
    }

    /**
     * A ragged batch (sequences of different lengths, split differently, sharing chunks) equals each sequence run
     * alone in a cache of batch 1: both within the tolerance model of that sequence's full pass.
     * If this fails, check: one offset for the whole batch instead of one per sequence; a batch stride in the
     * cache; a chunk row of one sequence read for another.
     */
    @Test
    public void required_S9_a_ragged_batch_equals_each_sequence_run_alone() {
        requireCache();
        property(Clause.S9, cacheCases().finishing(CacheCase::asRagged), c -> {
            CacheRun batch = new CacheRun(backend(), c, 0).playAll(0);
            for (int b = 0; b < c.batch(); b++) {
                CacheRun alone = new CacheRun(backend(), c.alone(b), 0, new int[]{b}).playAll(0);
                Expectation e = batch.expectation(b, precision(), CACHE_K);
                alone.expectation(0, precision(), CACHE_K).check(alone.outputs(0));
                try {
                    e.check(batch.outputs(b));
                } catch (AssertionError failure) {
                    throw new AssertionError("sequence " + b + " in the ragged batch differs from the sequence run "
                            + "alone:\n" + failure.getMessage(), failure);
                }
            }
        });
    }

    /**
     * A left-padded batch (each chunk's tokens right-aligned, padding rows before them, NaN in the padding) equals
     * the unpadded sequences: outputs within the tolerance model of each sequence's full pass, padding rows of
     * every output exactly zero.
     * If this fails, check: positions counted from the chunk row instead of the sequence length; padding rows
     * read (NaN leaks) or left unwritten.
     */
    @Test
    public void required_S9_a_left_padded_batch_equals_the_unpadded_one() {
        requireCache();
        property(Clause.S9, cacheCases().finishing(c -> c.asRagged().withOptions(c.softcap(), c.window(), c.ring(),
                c.ringSlack(), Padding.LEFT, c.values())), c -> {
            CacheRun run = new CacheRun(backend(), c, 0);
            for (int s = 0; s < c.steps(); s++) {
                int[] sizes = c.step(s);
                Tensor out = run.append(sizes, 0);
                if (out == null) continue;
                int n = run.lastChunk.width();
                for (int b = 0; b < c.batch(); b++)
                    for (int row = 0; row < n - sizes[b]; row++) requirePaddingZero(out, b, row);
            }
            run.requireEqualsFullPass(precision(), CACHE_K);
        });
    }

    static void requirePaddingZero(Tensor out, int b, int row) {
        boolean layer = out.rank() == 3;
        int heads = layer ? 1 : out.dim(1), width = out.dim(out.rank() - 1);
        for (int h = 0; h < heads; h++)
            for (int d = 0; d < width; d++) {
                float value = layer ? out.get(b, row, d) : out.get(b, h, row, d);
                if (value != 0f || Float.floatToRawIntBits(value) != 0) {
                    fail("a padding row of a left-padded chunk is not zero", "sequence", b, "chunk row", row,
                            "but was", value);
                }
            }
    }

    /**
     * Rolling back to length L (speculative decoding rejecting draft tokens) and appending the same tokens again
     * equals never having rolled back: outputs within the tolerance model of the full pass, cached keys and values
     * bit for bit those of the run without the rollback.
     * If this fails, check: rollback that forgets to move the write position; a length kept separately from the
     * store; stale keys past L still read.
     */
    @Test
    public void required_S9_rollback_then_the_same_tokens_equals_never_rolling_back() {
        requireCache();
        property(Clause.S9, cacheCases(), c -> {
            CacheRun run = new CacheRun(backend(), c, 0).playAll(0);
            Tensor key = run.cache.presentKey(), value = run.cache.presentValue();
            int[] back = rollbackPoints(run, c);
            run.truncate(back);
            int[] lengths = run.cache.lengths();
            if (!java.util.Arrays.equals(lengths, back)) {
                fail("lengths() after a rollback are not the lengths rolled back to", "rolled back to",
                        java.util.Arrays.toString(back), "but lengths() are", java.util.Arrays.toString(lengths));
            }
            replay(run, c, back, 0, c.dataSeed());
            run.requireEqualsFullPass(precision(), CACHE_K);
            Bitwise.requireIdentical("cached keys after rollback and replay differ from never rolling back", key,
                    run.cache.presentKey());
            Bitwise.requireIdentical("cached values after rollback and replay differ from never rolling back", value,
                    run.cache.presentValue());
        });
    }

    /**
     * Rolling back to length L and appending other tokens equals a fresh run of the new sequence (the first L
     * tokens, then the others): outputs within the tolerance model of the new sequence's full pass, cached keys
     * and values bit for bit those of the fresh run.
     * If this fails, check: keys of the rejected tokens still visible after the rollback; the ring's oldest
     * position not restored.
     */
    @Test
    public void required_S9_rollback_then_other_tokens_equals_a_fresh_run_of_the_new_sequence() {
        requireCache();
        property(Clause.S9, cacheCases(), c -> {
            CacheRun run = new CacheRun(backend(), c, 1).playAll(0);
            int[] back = rollbackPoints(run, c);
            run.truncate(back);
            int[] rest = replay(run, c, back, 1, ~c.dataSeed());
            run.requireEqualsFullPass(precision(), CACHE_K);
            CacheRun fresh = new CacheRun(backend(), c, 1);
            fresh.append(back, 0);
            fresh.append(rest, 1);
            Bitwise.requireIdentical("cached keys after rollback and other tokens differ from a fresh run",
                    fresh.cache.presentKey(), run.cache.presentKey());
            Bitwise.requireIdentical("cached values after rollback and other tokens differ from a fresh run",
                    fresh.cache.presentValue(), run.cache.presentValue());
        });
    }

    /**
     * Sliding window with a ring buffer of fixed capacity (at least the window w): a prefill of w - 1 tokens, then
     * single-token decodes through lengths w - 1, w, w + 1 and beyond, equals windowed full causal attention.
     * If this fails, check: the ring index (position mod capacity); the window edge {@code p - left <= j}
     * (off by one); an evicted slot read as if it still held its old key.
     */
    @Test
    public void required_S9_decoding_across_the_window_edge_equals_windowed_full_attention() {
        requireCache(KV_CACHE_RING, SLIDING_WINDOW);
        property(Clause.S9, cacheCases().finishing(c -> {
            int left = c.window() >= 0 ? c.window() : 1 + (int) Math.floorMod(c.dataSeed(), 3);
            List<Integer> split = new ArrayList<>();
            if (left > 0) split.add(left);
            for (int i = 0; i < 4; i++) split.add(1);
            List<List<Integer>> splits = new ArrayList<>();
            for (int b = 0; b < c.batch(); b++) splits.add(split);
            return c.withOptions(c.softcap(), left, true, c.ringSlack(), c.padding(), c.values()).withSplits(splits);
        }), c -> new CacheRun(backend(), c, 0).playAll(0).requireEqualsFullPass(precision(), CACHE_K));
    }

    /**
     * Rotary with a cache (each token rotated once, at its absolute position = past length + chunk row) equals
     * rotary over the full sequence, within the tolerance model.
     * If this fails, check: rotary at position 0 (or at the chunk row) instead of the cache offset; queries and
     * keys rotated at different positions; cached keys rotated again on every step.
     */
    @Test
    public void required_S9_rotary_with_a_cache_equals_rotary_over_the_full_sequence() {
        requireCache(LAYER, ROTARY);
        boolean distinctDv = capabilities().supports(DISTINCT_VALUE_DIM);
        property(Clause.S9, layerCacheCases().finishing(c -> {
            CacheCase wide = c.qkHeadDim() >= 2 ? c
                    : c.withDims(c.qHeads(), c.kvHeads(), 2, distinctDv ? c.vHeadDim() : 2);
            return wide.withLayer(wide.modelDim(), wide.outputDim(), wide.biases(),
                    wide.rotaryDims() > 0 ? wide.rotaryDims() : 2, wide.loraRank());
        }), c -> new CacheRun(backend(), c, 0).playAll(0).requireEqualsFullPass(precision(), LAYER_K));
    }

    /**
     * Appending to a full cache that does not evict (capacity = the longest sequence) is refused with an error
     * naming the capacity, and the cache is unchanged: same lengths, bit-identical keys and values.
     * If this fails, check: a write past the end wrapping around or growing past the capacity (silent corruption);
     * the length advanced before the check.
     */
    @Test
    public void required_S9_appending_to_a_full_cache_without_eviction_is_a_clear_error() {
        requireCache();
        property(Clause.S9, cacheCases().finishing(c -> c.withOptions(c.softcap(), c.window(), false, 0, c.padding(),
                c.values())), c -> {
            CacheRun run = new CacheRun(backend(), c, 0).playAll(0);
            int full = 0;
            for (int b = 0; b < c.batch(); b++) if (c.length(b) > c.length(full)) full = b;
            int[] sizes = new int[c.batch()];
            sizes[full] = 1;
            Chunk chunk = run.chunk(sizes, 0);
            Tensor out = Tensor.zeros(run.spec.types().activations(), chunk.outputShape(run.spec));
            requireRefused(run, "appending to sequence " + full + " of a full cache", "capacity",
                    () -> run.cache.append(chunk, out));
        });
    }

    /**
     * Bad input is refused with a clear error — a chunk of the wrong width (Dqk) or batch (B), a layer chunk for a
     * core cache, a wrong output shape, a rollback past the start or beyond the length, rollback lengths for the
     * wrong batch, a ring rollback to evicted keys, layer weights of a different spec — and the cache is unchanged
     * after each: same lengths, bit-identical keys and values, and the next append gives bit for bit what it gives
     * on a cache that never saw the bad calls.
     * If this fails, check: state changed before validation finished (length advanced, storage written); messages
     * that do not name the dimension.
     */
    @Test
    public void required_S9_bad_input_is_refused_and_leaves_the_cache_unchanged() {
        requireCache();
        property(Clause.S9, cacheCases(), c -> {
            CacheRun run = new CacheRun(backend(), c, 1).playAll(0);
            int batch = c.batch(), hq = c.qHeads(), hkv = c.kvHeads(), dqk = c.qkHeadDim(), dv = c.vHeadDim();
            int[] ones = new int[batch];
            java.util.Arrays.fill(ones, 1);
            ElementType act = run.spec.types().activations();
            Tensor out = Tensor.zeros(act, batch, hq, 1, dv);
            Chunk wide = new Chunk(Tensor.zeros(act, batch, hq, 1, dqk + 1), Tensor.zeros(act, batch, hkv, 1, dqk + 1),
                    Tensor.zeros(act, batch, hkv, 1, dv), null, ones, Padding.RIGHT);
            requireRefused(run, "a chunk of the wrong width", "Dqk", () -> run.cache.append(wide, out));
            int[] more = new int[batch + 1];
            java.util.Arrays.fill(more, 1);
            Chunk extra = new Chunk(Tensor.zeros(act, batch + 1, hq, 1, dqk), Tensor.zeros(act, batch + 1, hkv, 1, dqk),
                    Tensor.zeros(act, batch + 1, hkv, 1, dv), null, more, Padding.RIGHT);
            requireRefused(run, "a chunk of the wrong batch", "B", () -> run.cache.append(extra,
                    Tensor.zeros(act, batch + 1, hq, 1, dv)));
            // a chunk and an output in another element type than the cache's activations: refused, naming both
            ElementType wrong = act == ElementType.FP32 ? ElementType.BF16 : ElementType.FP32;
            Chunk retyped = new Chunk(Tensor.zeros(wrong, batch, hq, 1, dqk), Tensor.zeros(wrong, batch, hkv, 1, dqk),
                    Tensor.zeros(wrong, batch, hkv, 1, dv), null, ones, Padding.RIGHT);
            requireRefused(run, "a " + wrong + " chunk for a " + act + " cache", wrong.token(),
                    () -> run.cache.append(retyped, out));
            requireRefused(run, "a " + wrong + " output for a " + act + " cache", wrong.token(),
                    () -> run.cache.append(run.chunk(ones, 0), Tensor.zeros(wrong, batch, hq, 1, dv)));
            Chunk layerChunk = new Chunk(null, null, null, Tensor.zeros(batch, 1, 2), ones, Padding.RIGHT);
            requireRefused(run, "a layer chunk for a core cache", "layer", () -> run.cache.append(layerChunk, out));
            Chunk good = run.chunk(ones, 0);
            requireRefused(run, "an output of the wrong shape", "shape", () -> run.cache.append(good,
                    Tensor.zeros(act, batch, hq, 2, dv)));
            int[] before = run.cache.lengths();
            int[] negative = before.clone();
            negative[0] = -1;
            requireRefused(run, "a rollback past the start", "roll", () -> run.cache.truncate(negative));
            int[] beyond = before.clone();
            beyond[batch - 1] += 1;
            requireRefused(run, "a rollback beyond the length", "roll", () -> run.cache.truncate(beyond));
            requireRefused(run, "rollback lengths for the wrong batch", "batch",
                    () -> run.cache.truncate(new int[batch + 1]));
            if (c.ring() && before[0] > run.spec.capacity()) {
                requireRefused(run, "a ring rollback to evicted keys", "evicted",
                        () -> run.cache.truncate(new int[batch]));
            }
            if (capabilities().supports(LAYER)) {
                CacheCase l = c.withLayer(2, 2, false, 0, 0);
                LayerWeights other = c.withLayer(3, 2, false, 0, 0).weights();
                try {
                    backend().openLayerCache(l.cacheSpec(1), other);
                    fail("layer weights of a different spec were accepted", "spec", l.cacheSpec(1));
                } catch (IllegalArgumentException expected) {
                    if (expected.getMessage() == null || !expected.getMessage().contains("W")) {
                        fail("the error does not name the weight", "message", expected.getMessage());
                    }
                }
            }
            CacheRun control = new CacheRun(backend(), c, 1).playAll(0);
            Tensor next = run.append(ones, 0), expected = control.append(ones, 0);
            Bitwise.requireIdentical("after refused calls, the next append differs from a cache that never saw them",
                    expected, next);
        });
    }

    /** Runs a call that must be refused; fails unless it throws naming {@code phrase} and leaves the cache as it was. */
    static void requireRefused(CacheRun run, String what, String phrase, Runnable call) {
        int[] lengths = run.cache.lengths();
        Tensor key = run.cache.presentKey(), value = run.cache.presentValue();
        try {
            call.run();
            fail(what + " was accepted", "case", run.recipe);
        } catch (IllegalArgumentException | IllegalStateException refused) {
            if (refused.getMessage() == null || !refused.getMessage().contains(phrase)) {
                fail(what + " was refused with a message that does not name '" + phrase + "'", "message",
                        refused.getMessage());
            }
        }
        if (!java.util.Arrays.equals(lengths, run.cache.lengths())) {
            fail(what + " was refused but changed the cache's lengths", "before", java.util.Arrays.toString(lengths),
                    "after", java.util.Arrays.toString(run.cache.lengths()));
        }
        Bitwise.requireIdentical(what + " was refused but changed the cached keys", key, run.cache.presentKey());
        Bitwise.requireIdentical(what + " was refused but changed the cached values", value, run.cache.presentValue());
    }

    /** Rows [0, length) of sequence b of a (B, H, S, D) present tensor, as (1, H, length, D). */
    static Tensor rows(Tensor present, int b, int length) {
        Tensor out = Tensor.zeros(1, present.dim(1), length, present.dim(3));
        for (int h = 0; h < present.dim(1); h++)
            for (int j = 0; j < length; j++)
                for (int d = 0; d < present.dim(3); d++) out.set(present.get(b, h, j, d), 0, h, j, d);
        return out;
    }

    // S9 A serving engine's cache (ServingCacheChecks)

    ServingCacheChecks serving(double k) {
        return new ServingCacheChecks(backend(), precision(), k);
    }

    /**
     * Chunks whose query and new-key counts differ (ONNX past/present with q_len != kv_len; 0 to n + 2 queries for
     * n new keys, query-only and key-only sequences in one chunk): query t of sequence b sits at position P_b + t
     * and sees the held keys j <= P_b + t, within the tolerance model of that attention problem.
     * If this fails, check: the causal frontier taken from the chunk's key count instead of the past length;
     * queries past the last key reading unwritten slots; keys of a query-only chunk assumed present.
     */
    @Test
    public void required_S9_chunks_whose_query_and_key_counts_differ_see_the_keys_up_to_their_position() {
        requireCache(KV_CACHE_UNEVEN_CHUNKS);
        property(Clause.S9, cacheCases().finishing(ServingCacheChecks::withoutRing),
                c -> serving(CACHE_K).unevenChunks(c));
    }

    /**
     * A non-causal cache (a cross-attention memory opened from past K/V and read by query-only chunks; a
     * bidirectional prefix grown by chunks with keys): every query sees every key its sequence holds, NaN in the
     * past's unused rows changes nothing.
     * If this fails, check: a causal frontier applied to a cache that has none; the memory's rows past a
     * sequence's length read.
     */
    @Test
    public void required_S9_a_non_causal_cache_lets_every_query_see_every_held_key() {
        requireFeatures(KV_CACHE, KV_CACHE_NONCAUSAL);
        boolean uneven = capabilities().supports(KV_CACHE_UNEVEN_CHUNKS);
        property(Clause.S9, cacheCases().finishing(ServingCacheChecks::withoutRing),
                c -> serving(CACHE_K).nonCausal(c, uneven));
    }

    /**
     * A chunk's mask over absolute key positions (ONNX attn_mask with past: rows are the chunk's queries, columns
     * keys 0 .. S-1, a key past the last column masked; boolean or additive as declared, broadcast over batch and
     * heads) hides exactly what it masks: outputs within the tolerance model of the masked problem, fully masked
     * rows exactly zero.
     * If this fails, check: mask columns read relative to the chunk instead of absolute positions; the mask's
     * short last axis read past its end; a fully masked row divided by a zero sum.
     */
    @Test
    public void required_S9_a_chunk_mask_over_absolute_key_positions_hides_exactly_what_it_masks() {
        requireCache(KV_CACHE_MASK);
        boolean keep = capabilities().supports(BOOLEAN_MASK), bias = capabilities().supports(ADDITIVE_MASK);
        if (!keep && !bias) Assumptions.abort("unsupported: " + backend().name() + " declares no mask kind");
        property(Clause.S9, cacheCases(), c -> serving(CACHE_K).chunkMasks(c, keep, bias));
    }

    /**
     * A cache opened from past K/V (ONNX past_key/past_value with per-sequence lengths, NaN in the unused rows), and
     * one opened from another cache's present K/V, continue as the cache that appended those keys: later chunks'
     * outputs within the tolerance model, present K/V bit for bit the same.
     * If this fails, check: past rows past a sequence's length read; the past's length not taken as the offset;
     * present_key not concat(past_key, key).
     */
    @Test
    public void required_S9_a_cache_opened_from_past_keys_and_values_continues_as_the_one_that_appended_them() {
        requireCache();
        property(Clause.S9, cacheCases().finishing(ServingCacheChecks::withoutRing),
                c -> serving(CACHE_K).openedFromPast(c));
    }

    /**
     * Speculative decoding in a core cache: rounds of draft tokens, the first few accepted and the rest rolled back
     * at once, give the outputs of one full causal pass over the accepted tokens and their cached K/V bit for bit.
     * If this fails, check: rollback that leaves the write position past the accepted tokens; rejected drafts'
     * keys still visible.
     */
    @Test
    public void required_S9_speculative_decoding_equals_decoding_only_the_accepted_tokens() {
        requireCache();
        property(Clause.S9, cacheCases().finishing(ServingCacheChecks::withoutRing),
                c -> serving(CACHE_K).speculative(c));
    }

    /**
     * Speculative decoding through the layer with rotary: after rejected drafts are rolled back, new queries and
     * keys are rotated at their true positions, so the outputs equal the layer's full pass over the accepted tokens
     * and the cached (rotated) K/V are bit for bit those of one prefill.
     * If this fails, check: a rotary position counter that a rollback does not rewind.
     */
    @Test
    public void required_S9_speculative_decoding_through_the_layer_rotates_at_the_accepted_positions() {
        requireCache(LAYER, ROTARY);
        boolean distinctDv = capabilities().supports(DISTINCT_VALUE_DIM);
        property(Clause.S9, layerCacheCases().finishing(c -> {
            CacheCase wide = ServingCacheChecks.withoutRing(c.qkHeadDim() >= 2 ? c
                    : c.withDims(c.qHeads(), c.kvHeads(), 2, distinctDv ? c.vHeadDim() : 2));
            return wide.withLayer(wide.modelDim(), wide.outputDim(), wide.biases(),
                    wide.rotaryDims() > 0 ? wide.rotaryDims() : 2, wide.loraRank());
        }), c -> serving(LAYER_K).speculative(c));
    }

    /**
     * A rollback length per sequence, drawn from the case's seed: anywhere in [0, length] without eviction; with a
     * ring, no earlier than its window still reaches (the oldest held key + the window's left extent).
     */
    static int[] rollbackPoints(CacheRun run, CacheCase c) {
        SplittableRandom pick = new SplittableRandom(c.dataSeed() ^ 0x2545F4914F6CDD1DL);
        int[] back = new int[c.batch()];
        for (int b = 0; b < back.length; b++) {
            int length = run.length(b);
            int oldest = c.ring() ? Math.max(0, length - run.spec.capacity()) : 0;
            int min = oldest == 0 ? 0 : Math.min(length, oldest + c.window());
            back[b] = min + pick.nextInt(length - min + 1);
        }
        return back;
    }

    /**
     * Appends tokens of {@code stream} to each sequence from {@code from[b]} up to its recipe length: one piece of
     * random size, then single tokens. Returns the tokens appended per sequence.
     */
    static int[] replay(CacheRun run, CacheCase c, int[] from, int stream, long seed) {
        SplittableRandom pick = new SplittableRandom(seed);
        int[] remaining = new int[c.batch()], total = new int[c.batch()];
        for (int b = 0; b < remaining.length; b++) remaining[b] = total[b] = c.length(b) - from[b];
        int[] first = new int[c.batch()];
        for (int b = 0; b < first.length; b++) first[b] = remaining[b] == 0 ? 0 : 1 + pick.nextInt(remaining[b]);
        for (int[] sizes = first; ; ) {
            boolean any = false;
            for (int b = 0; b < sizes.length; b++) {
                remaining[b] -= sizes[b];
                any |= sizes[b] > 0;
            }
            if (!any) break;
            run.append(sizes, stream);
            sizes = new int[c.batch()];
            for (int b = 0; b < sizes.length; b++) sizes[b] = Math.min(1, remaining[b]);
        }
        return total;
    }

}
