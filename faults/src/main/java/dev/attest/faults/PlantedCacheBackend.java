package dev.attest.faults;

import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.Chunk;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Capabilities;
import dev.attest.spi.KvCache;

import java.util.ArrayList;
import java.util.List;

/**
 * cpu-naive for everything, with a planted KV cache that carries one classic incremental-decoding bug (or none: the
 * control that shows the planted cache is otherwise correct). The catalog's cache mutants ({@link SoftmaxMutants}:
 * cache-wrong-offset, cache-stale, rotary-at-zero) are this backend; its self-test ({@code PlantedCacheBugsTest})
 * checks that the bug-free control passes the properties that kill them.
 *
 * <p>The planted cache keeps the tokens of every sequence and computes each chunk with cpu-naive's plain
 * attention (or layer) over the concatenation, so the bug is the only thing wrong with it.
 */
public final class PlantedCacheBackend implements AttentionBackend {

    /** The bugs this planted cache can carry. */
    public enum Bug {
        /** None: the control that shows the planted cache is otherwise correct. */
        NONE,
        /** The chunk's causal offset is 0 (top-left) instead of the past length. */
        WRONG_OFFSET,
        /** Single-token decodes are not written to the cache: their slot keeps stale (zero) keys and values. */
        STALE_ON_DECODE,
        /** The layer rotates new queries at position 0 instead of at the cache offset. */
        ROTARY_AT_ZERO
    }

    final CpuNaiveBackend correct = new CpuNaiveBackend();
    final Bug bug;

    public PlantedCacheBackend(Bug bug) {
        this.bug = bug;
    }

    @Override
    public String name() {
        return "planted-cache-" + bug.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    @Override
    public Capabilities capabilities() {
        return correct.capabilities();
    }

    @Override
    public void attention(AttentionProblem problem, Tensor out) {
        correct.attention(problem, out);
    }

    @Override
    public void layer(LayerProblem problem, Tensor out) {
        correct.layer(problem, out);
    }

    @Override
    public KvCache openCache(CacheSpec spec) {
        return new PlantedCache(this, spec, null);
    }

    @Override
    public KvCache openLayerCache(CacheSpec spec, LayerWeights weights) {
        return new PlantedCache(this, spec, weights);
    }

    /** Recomputes every chunk over the stored tokens: K|V rows (core) or X rows (layer) per sequence. */
    private static final class PlantedCache implements KvCache {
        private final PlantedCacheBackend backend;
        private final CacheSpec spec;
        private final LayerWeights weights;
        private final List<List<float[]>> rows = new ArrayList<>();

        PlantedCache(PlantedCacheBackend backend, CacheSpec spec, LayerWeights weights) {
            this.backend = backend;
            this.spec = spec;
            this.weights = weights;
            for (int b = 0; b < spec.batch(); b++) rows.add(new ArrayList<>());
        }

        @Override
        public CacheSpec spec() {
            return spec;
        }

        @Override
        public void append(Chunk chunk, Tensor out) {
            chunk.requireMatches(spec);
            out.fill(0f);
            AttentionSpec a = spec.attention();
            for (int b = 0; b < spec.batch(); b++) {
                int n = chunk.lengths()[b], past = rows.get(b).size();
                if (n == 0) continue;
                Alignment alignment = backend.bug == Bug.WRONG_OFFSET ? Alignment.TOP_LEFT : Alignment.offset(past);
                AttentionSpec step = a.toBuilder().batch(1).lengths(n, past + n).causal(alignment).build();
                if (a.window() != null) step = step.toBuilder().window(a.window(), alignment).build();
                if (spec.isLayer()) appendLayer(chunk, out, b, n, past, step);
                else appendCore(chunk, out, b, n, past, step);
            }
        }

        private void appendCore(Chunk chunk, Tensor out, int b, int n, int past, AttentionSpec step) {
            AttentionSpec a = spec.attention();
            int hq = a.qHeads(), hkv = a.kvHeads(), dqk = a.qkHeadDim(), dv = a.vHeadDim();
            Tensor q = Tensor.zeros(1, hq, n, dqk);
            for (int t = 0; t < n; t++) {
                int row = chunk.row(b, t);
                for (int h = 0; h < hq; h++) for (int d = 0; d < dqk; d++) q.set(chunk.query().get(b, h, row, d), 0, h, t, d);
                float[] kv = new float[hkv * (dqk + dv)];
                boolean stale = backend.bug == Bug.STALE_ON_DECODE && n == 1 && past > 0;
                int at = 0;
                for (int g = 0; g < hkv; g++) for (int d = 0; d < dqk; d++) kv[at++] = stale ? 0 : chunk.key().get(b, g, row, d);
                for (int g = 0; g < hkv; g++) for (int d = 0; d < dv; d++) kv[at++] = stale ? 0 : chunk.value().get(b, g, row, d);
                rows.get(b).add(kv);
            }
            Tensor k = Tensor.zeros(1, hkv, past + n, dqk), v = Tensor.zeros(1, hkv, past + n, dv);
            for (int j = 0; j < past + n; j++) {
                float[] kv = rows.get(b).get(j);
                int at = 0;
                for (int g = 0; g < hkv; g++) for (int d = 0; d < dqk; d++) k.set(kv[at++], 0, g, j, d);
                for (int g = 0; g < hkv; g++) for (int d = 0; d < dv; d++) v.set(kv[at++], 0, g, j, d);
            }
            Tensor o = Tensor.zeros(1, hq, n, dv);
            backend.correct.attention(new AttentionProblem(step, q, k, v), o);
            for (int t = 0; t < n; t++)
                for (int h = 0; h < hq; h++) for (int d = 0; d < dv; d++) out.set(o.get(0, h, t, d), b, h, chunk.row(b, t), d);
        }

        /** The layer as cross-attention from the chunk to all tokens so far (same weights: memory = X). */
        private void appendLayer(Chunk chunk, Tensor out, int b, int n, int past, AttentionSpec step) {
            LayerSpec l = spec.layer();
            int width = l.modelDim();
            Tensor x = Tensor.zeros(1, n, width);
            for (int t = 0; t < n; t++) {
                float[] token = new float[width];
                for (int i = 0; i < width; i++) token[i] = chunk.input().get(b, chunk.row(b, t), i);
                for (int i = 0; i < width; i++) x.set(token[i], 0, t, i);
                rows.get(b).add(token);
            }
            Tensor memory = Tensor.zeros(1, past + n, width);
            for (int j = 0; j < past + n; j++) for (int i = 0; i < width; i++) memory.set(rows.get(b).get(j)[i], 0, j, i);
            LayerSpec cross = new LayerSpec(step, width, width, l.outputDim(), l.biases(), l.rotary(), l.loraRank());
            int queryPosition = backend.bug == Bug.ROTARY_AT_ZERO ? 0 : past;
            Tensor y = Tensor.zeros(1, n, l.outputDim());
            backend.correct.layer(new LayerProblem(cross, weights, x, memory, null, null, queryPosition, 0), y);
            for (int t = 0; t < n; t++) for (int c = 0; c < l.outputDim(); c++) out.set(y.get(0, t, c), b, chunk.row(b, t), c);
        }

        @Override
        public int[] lengths() {
            return rows.stream().mapToInt(List::size).toArray();
        }

        @Override
        public void truncate(int[] lengths) {
            for (int b = 0; b < lengths.length; b++) rows.get(b).subList(lengths[b], rows.get(b).size()).clear();
        }

        @Override
        public Tensor presentKey() {
            throw new UnsupportedOperationException("the planted cache does not expose present_key");
        }

        @Override
        public Tensor presentValue() {
            throw new UnsupportedOperationException("the planted cache does not expose present_value");
        }
    }
}
