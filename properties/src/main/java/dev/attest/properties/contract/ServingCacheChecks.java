package dev.attest.properties.contract;

import dev.attest.properties.cases.ChunkMasks;
import dev.attest.properties.cases.CacheCase;
import dev.attest.properties.judge.Bitwise;
import dev.attest.reference.Mask;
import dev.attest.reference.Precision;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.Chunk;
import dev.attest.reference.cache.Eviction;
import dev.attest.reference.cache.Past;
import dev.attest.spi.AttentionBackend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The checks behind the S9 properties of a serving engine's cache (DESIGN.md "KV cache"): chunks whose query and key
 * counts differ, masks over absolute key positions, non-causal caches reading a memory, caches opened from past K/V,
 * and speculative decoding. {@link AttentionContract} names each as a property; the scenario comes from a
 * {@link CacheCase} and, for the choices a case does not hold (how many queries, which drafts are accepted, the
 * mask), from its data seed, so a shrunk case replays the same choices.
 */
final class ServingCacheChecks {
    private final AttentionBackend backend;
    private final Precision precision;
    private final double k;

    ServingCacheChecks(AttentionBackend backend, Precision precision, double k) {
        this.backend = backend;
        this.precision = precision;
        this.k = k;
    }

    /** The case's cache without eviction (a ring takes one key per query and cannot roll back past its window). */
    static CacheCase withoutRing(CacheCase c) {
        return c.withOptions(c.softcap(), c.window(), false, 0, c.padding(), c.values());
    }

    /**
     * Each step appends the case's pieces as keys with between 0 and n + 2 queries per sequence (query-only and
     * key-only sequences in the same chunk), every chunk judged on its own.
     */
    void unevenChunks(CacheCase c) {
        ChunkRun run = new ChunkRun(backend, c, c.cacheSpec(0));
        SplittableRandom pick = new SplittableRandom(c.dataSeed() ^ 0x4F1BBCDCBFA53E0BL);
        for (int s = 0; s < c.steps(); s++) {
            int[] keys = c.step(s), queries = new int[keys.length];
            for (int b = 0; b < keys.length; b++) queries[b] = pick.nextInt(keys[b] + 3);
            if (s == 0 && Arrays.equals(queries, keys)) queries[0] = keys[0] + 1;   // at least one uneven chunk
            run.append(queries, keys, null, 0, precision, k);
        }
    }

    /**
     * A non-causal cache opened from a memory (each sequence's first piece, NaN in the past's unused rows), then read
     * by query-only chunks (cross-attention) and, on even steps or where uneven chunks are not declared, grown by
     * chunks with keys (a bidirectional prefix): every query sees every held key.
     */
    void nonCausal(CacheCase c, boolean uneven) {
        CacheSpec causal = c.cacheSpec(0);
        CacheSpec spec = new CacheSpec(causal.attention().toBuilder().masking(false, null, null).build(), null,
                causal.capacity(), Eviction.NONE, causal.types());
        ChunkRun run = new ChunkRun(backend, c, spec, c.step(0));
        for (int s = 1; s < Math.max(2, c.steps()); s++) {
            int[] sizes = c.step(s), queries = sizes.clone();
            boolean queryOnly = uneven && s % 2 == 1;
            if (!queryOnly && Arrays.stream(sizes).allMatch(n -> n == 0)) continue;
            for (int b = 0; b < queries.length && queryOnly; b++) queries[b] = Math.max(1, sizes[b]);
            run.append(queries, queryOnly ? new int[sizes.length] : sizes, null, 0, precision, k);
        }
    }

    /**
     * The case's chunks each carry a mask (B or 1, Hq or 1, nq, S) over absolute key positions, boolean or additive
     * as declared, sometimes one column short of the keys held (a column past the mask is masked).
     */
    void chunkMasks(CacheCase c, boolean booleanMask, boolean additiveMask) {
        ChunkRun run = new ChunkRun(backend, c, c.cacheSpec(0));
        SplittableRandom pick = new SplittableRandom(c.dataSeed() ^ 0x27D4EB2F165667C5L);
        for (int s = 0; s < c.steps(); s++) {
            int[] sizes = c.step(s);
            boolean keep = booleanMask && (!additiveMask || pick.nextBoolean());
            long seed = pick.nextLong();
            run.append(sizes, sizes, chunk -> mask(chunk, run, keep, seed), 0, precision, k);
        }
    }

    /** A mask for {@code chunk} over every key held after it, sometimes one column short; batch and heads 1 or full. */
    private static Mask mask(Chunk chunk, ChunkRun run, boolean keep, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int columns = 1;
        for (int b = 0; b < chunk.batch(); b++) columns = Math.max(columns, run.held(b) + chunk.keyLengths()[b]);
        if (columns > 1 && random.nextInt(3) == 0) columns--;
        int batches = random.nextBoolean() ? chunk.batch() : 1;
        int heads = random.nextBoolean() ? run.recipe.qHeads() : 1;
        return ChunkMasks.random(batches, heads, chunk.width(), columns, keep, random.nextLong());
    }

    /**
     * A cache opened from past K/V (each sequence's first piece; NaN in the unused rows) and one opened from the
     * present K/V of a cache that appended them continue exactly as that cache: the same later chunks give outputs
     * within the tolerance model of their chunk problems, and present K/V bit for bit those of the cache that
     * appended everything.
     */
    void openedFromPast(CacheCase c) {
        CacheSpec spec = c.cacheSpec(0);
        int[] first = c.step(0);
        ChunkRun appended = new ChunkRun(backend, c, spec);
        appended.append(first, first, null, 0, precision, k);
        List<ChunkRun> opened = new ArrayList<>(List.of(new ChunkRun(backend, c, spec, first)));
        if (spec.types().storage() == spec.types().activations()) {
            Past present = new Past(appended.cache.presentKey(), appended.cache.presentValue(),
                    appended.cache.lengths());
            opened.add(new ChunkRun(backend, appended, present));
        }
        for (ChunkRun run : opened) requireSameAsAppended("just opened", appended, run);
        for (int s = 1; s < c.steps(); s++) {
            int[] sizes = c.step(s);
            appended.append(sizes, sizes, null, 0, precision, k);
            for (ChunkRun run : opened) run.append(sizes, sizes, null, 0, precision, k);
        }
        for (ChunkRun run : opened) requireSameAsAppended("after the same chunks", appended, run);
    }

    private static void requireSameAsAppended(String when, ChunkRun appended, ChunkRun opened) {
        if (!Arrays.equals(appended.cache.lengths(), opened.cache.lengths())) {
            AttentionContract.fail("a cache opened from past K/V holds other lengths than the one that appended them",
                    "when", when, "appended", Arrays.toString(appended.cache.lengths()), "opened",
                    Arrays.toString(opened.cache.lengths()));
        }
        requireSamePresent(appended.cache, opened.cache, "of a cache opened from past K/V (" + when + ") differ from"
                + " the cache that appended them");
    }

    /**
     * Speculative decoding: a prefill (the first piece), then rounds of n draft tokens (the later pieces) of which
     * the verifier accepts the first a (0 to n, the true continuation) and rejects the rest (other tokens), rolled
     * back at once. The outputs of every accepted token are within the tolerance model of one full causal pass over
     * the accepted sequence, and the cached keys and values are bit for bit those of one prefill of it.
     */
    void speculative(CacheCase c) {
        CacheRun run = new CacheRun(backend, c, 0);
        run.append(c.step(0), 0);
        SplittableRandom pick = new SplittableRandom(c.dataSeed() ^ 0x61C8864680B583EBL);
        for (int s = 1; s < c.steps(); s++) {
            int[] drafts = c.step(s), accepted = new int[drafts.length], kept = run.cache.lengths();
            for (int b = 0; b < drafts.length; b++) {
                accepted[b] = pick.nextInt(drafts[b] + 1);
                kept[b] += accepted[b];
            }
            run.append(drafts, 1, accepted);
            run.truncate(kept);
            if (!Arrays.equals(run.cache.lengths(), kept)) {
                AttentionContract.fail("lengths() after rejecting draft tokens are not the accepted lengths",
                        "accepted", Arrays.toString(kept), "but lengths() are", Arrays.toString(run.cache.lengths()));
            }
        }
        try {
            run.requireEqualsFullPass(precision, k);
        } catch (AssertionError e) {
            throw new AssertionError("after speculative decoding: " + e.getMessage(), e);
        }
        List<List<Integer>> accepted = new ArrayList<>();
        for (int b = 0; b < c.batch(); b++) accepted.add(run.length(b) == 0 ? List.of() : List.of(run.length(b)));
        CacheRun once = new CacheRun(backend, c.withSplits(accepted), 0).playAll(0);
        requireSamePresent(once.cache, run.cache, "after speculative decoding differ from one prefill of the accepted"
                + " tokens");
    }

    /**
     * The same scenario in a paged cache (blocks of 1 to 4 slots from the data seed, or the case's own) and a
     * contiguous one, each rolled back to half of every sequence and continued with other tokens (the freed blocks
     * taken again in another order): the paged cache's outputs within the tolerance model of the full pass, its
     * present K/V bit for bit the contiguous cache's.
     */
    void pagedEqualsContiguous(CacheCase c) {
        int blockSize = c.blockSize() > 0 ? c.blockSize() : 1 + (int) Math.floorMod(c.dataSeed() >>> 5, 4);
        CacheRun paged = new CacheRun(backend, c.withBlockSize(blockSize), 0).playAll(0);
        CacheRun flat = new CacheRun(backend, c.withBlockSize(0), 0).playAll(0);
        int[] half = new int[c.batch()], rest = new int[c.batch()];
        for (int b = 0; b < half.length; b++) {
            half[b] = c.length(b) / 2;
            rest[b] = c.length(b) - half[b];
        }
        for (CacheRun run : List.of(paged, flat)) {
            run.truncate(half);
            run.append(rest, 1);
        }
        paged.requireEqualsFullPass(precision, k);
        requireSamePresent(flat.cache, paged.cache, "of a paged cache (blocks of " + blockSize + ") differ from the"
                + " contiguous cache's");
    }

    /** Present K and V of {@code actual} bit for bit those of {@code expected}: "cached keys/values " + {@code differ}. */
    private static void requireSamePresent(dev.attest.spi.KvCache expected, dev.attest.spi.KvCache actual,
                                           String differ) {
        Bitwise.requireIdentical("cached keys " + differ, expected.presentKey(), actual.presentKey());
        Bitwise.requireIdentical("cached values " + differ, expected.presentValue(), actual.presentValue());
    }
}
