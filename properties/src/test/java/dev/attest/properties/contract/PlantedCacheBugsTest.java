package dev.attest.properties.contract;

import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.properties.engine.PropertyFailure;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The KV cache properties test themselves (STYLE.md): a cache with one classic incremental-decoding bug planted in
 * it must make a named S9 property fail with a pinned phrase, and a correct cache built the same way must pass. The
 * wrong-offset and stale-cache bugs are pinned in the kill matrix ({@code dev.attest.properties.mutants}); the rotary
 * bug stays here too because its check is about shrinking (to the smallest rotary).
 *
 * <p>The planted cache keeps the tokens of every sequence and computes each chunk with cpu-naive's plain
 * attention (or layer) over the concatenation, so the bug is the only thing wrong with it.
 */
public class PlantedCacheBugsTest {

    /** The bugs this planted cache can carry; the mutant catalog ({@code properties.mutants}) reuses them. */
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

    /** cpu-naive for everything, with a planted KV cache. */
    public static final class Planted implements AttentionBackend {
        final CpuNaiveBackend correct = new CpuNaiveBackend();
        final Bug bug;

        public Planted(Bug bug) {
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
    }

    /** Recomputes every chunk over the stored tokens: K|V rows (core) or X rows (layer) per sequence. */
    private static final class PlantedCache implements KvCache {
        private final Planted backend;
        private final CacheSpec spec;
        private final LayerWeights weights;
        private final List<List<float[]>> rows = new ArrayList<>();

        PlantedCache(Planted backend, CacheSpec spec, LayerWeights weights) {
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


    private static PropertyFailure killed(Bug bug, Consumer<AttentionContract> property, String... phrases) {
        Planted mutant = new Planted(bug);
        Executable run = () -> property.accept(new ContractOf(mutant));
        PropertyFailure failure = assertThrows(PropertyFailure.class, run, mutant.name() + " survived");
        for (String phrase : phrases) {
            assertTrue(failure.getMessage().contains(phrase),
                    () -> "failure message lacks '" + phrase + "':\n" + failure.getMessage());
        }
        System.out.println("Planted cache bug: " + bug + "\n" + failure.getMessage());
        return failure;
    }

    @Test
    void the_planted_cache_without_a_bug_passes_the_properties_that_kill_the_others() {
        ContractOf control = new ContractOf(new Planted(Bug.NONE));
        control.required_S9_any_split_into_chunks_gives_the_outputs_of_one_full_causal_pass();
        control.required_S9_rotary_with_a_cache_equals_rotary_over_the_full_sequence();
    }

    /** Rotary at position 0 instead of the cache offset. */
    @Test
    void rotary_at_position_zero_instead_of_the_cache_offset_is_caught() {
        PropertyFailure failure = killed(Bug.ROTARY_AT_ZERO,
                AttentionContract::required_S9_rotary_with_a_cache_equals_rotary_over_the_full_sequence,
                "differs from one full causal pass", "layer output outside the tolerance model");
        String shrunk = String.valueOf(failure.shrunk());
        assertTrue(shrunk.contains("rope(2)"), () -> "not shrunk to the smallest rotary: " + shrunk);
    }
}
