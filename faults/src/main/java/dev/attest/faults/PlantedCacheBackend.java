package dev.attest.faults;

import dev.attest.backends.cache.CpuKvCache;
import dev.attest.backends.kernels.Rope;
import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.Mask;
import dev.attest.reference.Rotary;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.Chunk;
import dev.attest.spi.CheckedBackend;
import dev.attest.spi.KvCache;

import java.util.Arrays;
import java.util.Locale;

/**
 * cpu-naive for everything, with a KV cache that is cpu-naive's own cache machinery ({@link CpuKvCache}: checks,
 * storage, growth, ring eviction, rollback, the layer's projections and rotary, present K/V) with one classic
 * incremental-decoding bug planted where a cached token attends (or none: the control). So a cache mutant differs
 * from a correct backend by its one bug only: it refuses bad input, reports a full cache and exposes its present
 * keys and values exactly as cpu-naive does, and every kill in the matrix is the bug's.
 *
 * <p>The catalog's cache mutants ({@link SoftmaxMutants}: cache-wrong-offset, cache-stale, rotary-at-zero,
 * rollback-keeps-rotary-position, chunk-aligned-to-last-key) are this
 * backend; its self-test ({@code PlantedCacheBugsTest}) checks that the bug-free control passes every S9 property.
 */
public final class PlantedCacheBackend extends CheckedBackend {

    /** The bugs this planted cache can carry. */
    public enum Bug {
        /** None: the control that shows the planted cache is otherwise correct. */
        NONE,
        /** A chunk is aligned top-left (causal offset 0) instead of at the past length: it attends to the oldest keys. */
        WRONG_OFFSET,
        /** Single-token decodes are not written to the cache: their slot keeps stale (zero) keys and values. */
        STALE_ON_DECODE,
        /** The layer rotates new queries at their position within the chunk (from 0) instead of at the cache offset. */
        ROTARY_AT_ZERO,
        /**
         * The layer's rotary position is a counter of every token ever appended, which a rollback does not rewind:
         * after rejected draft tokens, new queries and keys are rotated as if the rejected tokens were still there.
         */
        ROLLBACK_KEEPS_ROTARY_POSITION,
        /**
         * A chunk's causal frontier is aligned to its last new key (FlashAttention's bottom-right convention for
         * {@code seqlen_q != seqlen_k}) instead of the past length: query t sees keys up to
         * {@code held - nq + t}. The same when a chunk has one key per query; wrong when they differ.
         */
        CHUNK_ALIGNED_TO_LAST_KEY
    }

    private final CpuNaiveBackend correct = new CpuNaiveBackend();
    private final Bug bug;

    public PlantedCacheBackend(Bug bug) {
        super("planted-cache-" + bug.name().toLowerCase(Locale.ROOT).replace('_', '-'),
                "cpu-naive with its KV cache's attention step carrying " + bug, CpuNaiveBackend.FP32_CAPABILITIES);
        this.bug = bug;
    }

    @Override
    protected void computeAttention(AttentionProblem problem, Tensor out) {
        correct.attention(problem, out);
    }

    @Override
    protected void computeLayer(LayerProblem problem, Tensor out) {
        correct.layer(problem, out);
    }

    @Override
    protected KvCache createCache(CacheSpec spec, LayerWeights weights) {
        return new Recording(new PlantedCache(spec, weights));
    }

    /**
     * cpu-naive's cache machinery; {@link #attendToken} is the one step a bug is planted in. Each cached token
     * attends through cpu-naive's own attention, over the keys it may see.
     */
    private final class PlantedCache extends CpuKvCache {
        /** Per sequence, the length before the chunk being appended, and that chunk's query and key counts. */
        final int[] start, count, keyCount;
        /** Per sequence, tokens dropped by rollbacks so far (what ROLLBACK_KEEPS_ROTARY_POSITION forgets to rewind). */
        final int[] rolledBack;

        PlantedCache(CacheSpec spec, LayerWeights weights) {
            super(spec, weights);
            start = new int[batch];
            count = new int[batch];
            keyCount = new int[batch];
            rolledBack = new int[batch];
        }

        @Override
        protected void attendToken(int b, int p, int first, int last, float[] bias, float[] q, float[] o) {
            int biasFirst = first, biasCount = last - first + 1;
            int t = p - start[b];                                  // t: the token's index within its chunk
            Rotary rotary = spec.isLayer() ? spec.layer().rotary() : null;
            switch (bug) {
                case NONE -> { }
                case WRONG_OFFSET -> {                             // aligned as if nothing were cached: j <= t
                    last = Math.min(last, t);
                    first = spec.firstVisibleKey(t);
                }
                case STALE_ON_DECODE -> {                          // a decoded token's slot is never written
                    if (count[b] == 1 && start[b] > 0) {
                        Arrays.fill(keys(b), keyOffset(b, p, 0), keyOffset(b, p, 0) + kvHeads * qkDim, 0f);
                        Arrays.fill(values(b), valueOffset(b, p, 0), valueOffset(b, p, 0) + kvHeads * vDim, 0f);
                    }
                }
                case ROTARY_AT_ZERO -> {                           // q was rotated at p; rotate it on to t
                    if (rotary != null) for (int h = 0; h < qHeads; h++) Rope.rotate(rotary, q, h * qkDim, 1, t - p);
                }
                case ROLLBACK_KEEPS_ROTARY_POSITION -> {           // q and the new key rotated at p + rolled back
                    int drift = rolledBack[b];
                    if (rotary != null && drift != 0) {
                        for (int h = 0; h < qHeads; h++) Rope.rotate(rotary, q, h * qkDim, 1, drift);
                        for (int g = 0; g < kvHeads; g++) Rope.rotate(rotary, keys(b), keyOffset(b, p, g), 1, drift);
                    }
                }
                case CHUNK_ALIGNED_TO_LAST_KEY -> last = Math.min(last, start[b] + keyCount[b] - count[b] + t);
            }
            if (first <= last) attend(b, first, last, bias, biasFirst, biasCount, q, o);
            else Arrays.fill(o, 0f);
        }

        /**
         * {@code o} = cpu-naive's attention of the one query {@code q} over the cached keys {@code [first, last]},
         * with the chunk mask's bias of keys {@code [biasFirst, biasFirst + biasCount)} (null: none).
         */
        private void attend(int b, int first, int last, float[] bias, int biasFirst, int biasCount, float[] q,
                            float[] o) {
            int m = last - first + 1;
            AttentionSpec one = spec.attention().toBuilder().batch(1).lengths(1, m).masking(false, null, null).build();
            Tensor k = Tensor.zeros(1, kvHeads, m, qkDim), v = Tensor.zeros(1, kvHeads, m, vDim);
            for (int j = first; j <= last; j++) {
                for (int g = 0; g < kvHeads; g++) {
                    for (int d = 0; d < qkDim; d++) k.set(keys(b)[keyOffset(b, j, g) + d], 0, g, j - first, d);
                    for (int d = 0; d < vDim; d++) v.set(values(b)[valueOffset(b, j, g) + d], 0, g, j - first, d);
                }
            }
            Mask mask = null;
            if (bias != null) {
                float[] rows = new float[qHeads * m];
                for (int h = 0; h < qHeads; h++) {
                    for (int j = first; j <= last; j++) {
                        int at = j - biasFirst;
                        rows[h * m + j - first] = at >= 0 && at < biasCount ? bias[h * biasCount + at] : 0f;
                    }
                }
                mask = new Mask.Bias(rows, new int[]{1, qHeads, 1, m});
            }
            Tensor query = Tensor.of(q.clone(), 1, qHeads, 1, qkDim);
            correct.attention(new AttentionProblem(one, query, k, v, mask, null), Tensor.view(o, 0,
                    new int[]{1, qHeads, 1, vDim}, new int[]{qHeads * vDim, vDim, vDim, 1}));
        }
    }

    /**
     * The cache as callers see it: {@link CpuKvCache#append} is final, so this records where each sequence's chunk
     * starts and how long it is (what a planted bug needs to know) and hands every call to the cache.
     */
    private static final class Recording extends dev.attest.spi.ForwardingKvCache {
        private final PlantedCache cache;

        Recording(PlantedCache cache) {
            super(cache);
            this.cache = cache;
        }

        @Override
        public void append(Chunk chunk, Tensor out) {
            int[] before = cache.lengths();
            System.arraycopy(before, 0, cache.start, 0, before.length);
            if (chunk != null && chunk.lengths().length == before.length) {
                System.arraycopy(chunk.lengths(), 0, cache.count, 0, before.length);
                System.arraycopy(chunk.keyLengths(), 0, cache.keyCount, 0, before.length);
            }
            cache.append(chunk, out);
        }

        @Override
        public void truncate(int[] lengths) {
            int[] before = cache.lengths();
            cache.truncate(lengths);
            for (int b = 0; b < before.length; b++) cache.rolledBack[b] += before[b] - lengths[b];
        }
    }
}
