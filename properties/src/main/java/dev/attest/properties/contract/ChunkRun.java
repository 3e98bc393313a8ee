package dev.attest.properties.contract;

import dev.attest.oracle.CacheOracle;
import dev.attest.properties.cases.CacheCase;
import dev.attest.properties.engine.Facts;
import dev.attest.properties.judge.Expectation;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.ElementType;
import dev.attest.reference.Mask;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.CacheTypes;
import dev.attest.reference.cache.Chunk;
import dev.attest.reference.cache.Past;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Feature;
import dev.attest.spi.KvCache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A core cache fed with chunks of any shape — queries and new keys differing in number, query-only chunks, masks over
 * absolute key positions — and possibly opened from past K/V, each sequence's rows judged right after their append
 * against {@link CacheOracle#chunkProblem} (its queries over every key the sequence then holds). Where
 * {@link CacheRun} replays one token stream and compares with one full pass, this checks each chunk on its own.
 *
 * <p>Key j of sequence b is the K|V part of the recipe's token (b, j, stream); query t of step s is the Q part of
 * token (b, past + t, {@value #QUERY_STREAM} + s). Padding rows and the past's unused rows are NaN.
 */
final class ChunkRun {
    private static final int QUERY_STREAM = 100;

    final CacheCase recipe;
    final CacheSpec spec;
    final KvCache cache;
    private final AttentionBackend backend;
    /** Per sequence, the K|V rows it holds, in position order. */
    private final List<List<float[]>> held = new ArrayList<>();
    private int steps;

    /** Opens an empty cache of {@code spec}. */
    ChunkRun(AttentionBackend backend, CacheCase recipe, CacheSpec spec) {
        this(backend, recipe, spec, null);
    }

    /** Opens a cache of {@code spec} from {@code pastLengths[b]} keys per sequence (null: empty). */
    ChunkRun(AttentionBackend backend, CacheCase recipe, CacheSpec spec, int[] pastLengths) {
        this.backend = backend;
        this.recipe = recipe;
        this.spec = spec;
        Declared.require(backend, Feature.requiredBy(spec), recipe);
        Declared.requireTypes(backend, dev.attest.spi.TensorTypes.of(spec.types()), recipe);
        for (int b = 0; b < recipe.batch(); b++) held.add(new ArrayList<>());
        if (pastLengths == null) {
            cache = backend.openCache(spec);
            return;
        }
        Past past = past(pastLengths, 0);
        cache = backend.openCache(spec, past);
        for (int b = 0; b < recipe.batch(); b++) {
            for (int j = 0; j < pastLengths[b]; j++) held.get(b).add(keyValue(b, j, 0));
        }
    }

    /** Opens a cache of {@code spec} from {@code past}, whose rows are those of {@code like}'s held keys. */
    ChunkRun(AttentionBackend backend, ChunkRun like, Past past) {
        this.backend = backend;
        this.recipe = like.recipe;
        this.spec = like.spec;
        cache = backend.openCache(spec, past);
        for (List<float[]> rows : like.held) held.add(new ArrayList<>(rows));
    }

    /** The past of {@code lengths[b]} keys of stream {@code stream} per sequence, NaN in the rows after them. */
    Past past(int[] lengths, int stream) {
        int rows = Math.max(1, Arrays.stream(lengths).max().orElse(0));
        ElementType act = spec.types().activations();
        int hkv = recipe.kvHeads(), dqk = recipe.qkHeadDim(), dv = recipe.vHeadDim();
        Tensor k = Tensor.zeros(act, recipe.batch(), hkv, rows, dqk).fill(Float.NaN);
        Tensor v = Tensor.zeros(act, recipe.batch(), hkv, rows, dv).fill(Float.NaN);
        for (int b = 0; b < recipe.batch(); b++) {
            for (int j = 0; j < lengths[b]; j++) {
                float[] kv = keyValue(b, j, stream);
                int at = 0;
                for (int g = 0; g < hkv; g++) for (int d = 0; d < dqk; d++) k.set(kv[at++], b, g, j, d);
                for (int g = 0; g < hkv; g++) for (int d = 0; d < dv; d++) v.set(kv[at++], b, g, j, d);
            }
        }
        return new Past(k, v, lengths);
    }

    /** The K|V part of the recipe's token (b, position, stream). */
    private float[] keyValue(int b, int position, int stream) {
        float[] token = recipe.token(b, position, stream);
        int q = recipe.qHeads() * recipe.qkHeadDim();
        return Arrays.copyOfRange(token, q, token.length);
    }

    int held(int b) {
        return held.get(b).size();
    }

    /**
     * Appends {@code queries[b]} queries and {@code keys[b]} new keys (of {@code stream}) per sequence, with
     * {@code mask} (null: none; built for the chunk by {@code masks}), and judges every sequence's rows: within the
     * tolerance model of its chunk problem, exactly zero when it holds no key, padding rows exactly zero.
     */
    Tensor append(int[] queries, int[] keys, java.util.function.Function<Chunk, Mask> masks, int stream,
                  Precision precision, double k) {
        Chunk chunk = chunk(queries, keys, stream);
        if (masks != null) chunk = chunk.withMask(masks.apply(chunk));
        Declared.require(backend, Feature.requiredBy(chunk), chunk);
        Tensor out = Tensor.zeros(spec.types().activations(), chunk.outputShape(spec)).fill(Float.NaN);
        int[] past = new int[recipe.batch()];
        for (int b = 0; b < past.length; b++) past[b] = held(b);
        cache.append(chunk, out);
        for (int b = 0; b < recipe.batch(); b++) {
            for (int t = 0; t < keys[b]; t++) held.get(b).add(keyValue(b, past[b] + t, stream));
        }
        int[] lengths = cache.lengths();
        for (int b = 0; b < recipe.batch(); b++) {
            if (lengths[b] != held(b)) {
                throw new AssertionError(Facts.of().add("failure", "lengths() after an append are not the keys held")
                        .add("sequence", b).add("expected", held(b)).add("but lengths() are", Arrays.toString(lengths))
                        .add("chunk", chunk).toString());
            }
            judge(chunk, out, b, past[b], precision, k);
        }
        steps++;
        return out;
    }

    private void judge(Chunk chunk, Tensor out, int b, int past, Precision precision, double k) {
        int hq = recipe.qHeads(), dv = recipe.vHeadDim(), n = chunk.lengths()[b];
        for (int row = 0; row < chunk.width(); row++) {
            int t = row - chunk.row(b, 0);
            if (t >= 0 && t < n) continue;
            for (int h = 0; h < hq; h++) {
                for (int d = 0; d < dv; d++) {
                    if (Float.floatToRawIntBits(out.get(b, h, row, d)) != 0) {
                        fail(chunk, b, "a padding row of the output is not zero", "row " + row);
                    }
                }
            }
        }
        if (n == 0) return;
        Tensor rows = out.view(out.index(b, 0, chunk.row(b, 0), 0), new int[]{1, hq, n, dv},
                new int[]{0, out.stride(1), out.stride(2), out.stride(3)});
        if (held(b) == 0) {
            for (float value : rows.toArray()) {
                if (Float.floatToRawIntBits(value) != 0) {
                    fail(chunk, b, "the sequence holds no key, so its queries see nothing and must be exactly zero",
                            Arrays.toString(rows.toArray()));
                }
            }
            return;
        }
        AttentionProblem problem = chunkProblem(chunk, b, past);
        try {
            Expectation.attention(problem, precision, k).check(rows);
        } catch (AssertionError e) {
            throw new AssertionError("sequence " + b + " of chunk " + steps + " (" + chunk + ", past " + past
                    + " keys) differs from attention over the keys it holds:\n" + e.getMessage(), e);
        }
    }

    /** The oracle's problem for sequence b's queries of {@code chunk}: K and V as the cache stores them. */
    private AttentionProblem chunkProblem(Chunk chunk, int b, int past) {
        int hq = recipe.qHeads(), hkv = recipe.kvHeads(), dqk = recipe.qkHeadDim(), dv = recipe.vHeadDim();
        int n = chunk.lengths()[b], keys = held(b);
        CacheTypes types = spec.types();
        Tensor q = Tensor.zeros(types.activations(), 1, hq, n, dqk);
        for (int t = 0; t < n; t++) {
            for (int h = 0; h < hq; h++) {
                for (int d = 0; d < dqk; d++) q.set(chunk.query().get(b, h, chunk.row(b, t), d), 0, h, t, d);
            }
        }
        Tensor key = CacheRun.stored(types, types.keyDescale(), b, hkv, keys, dqk);
        Tensor value = CacheRun.stored(types, types.valueDescale(), b, hkv, keys, dv);
        for (int j = 0; j < keys; j++) {
            float[] kv = held.get(b).get(j);
            int at = 0;
            for (int g = 0; g < hkv; g++) {
                for (int d = 0; d < dqk; d++) key.setBits(types.quantize(kv[at++], types.keyFactor(b, g)), 0, g, j, d);
            }
            for (int g = 0; g < hkv; g++) {
                for (int d = 0; d < dv; d++) value.setBits(types.quantize(kv[at++], types.valueFactor(b, g)), 0, g, j, d);
            }
        }
        return CacheOracle.chunkProblem(spec, q, key, value, past, chunk.sequenceMask(b, keys, hq));
    }

    /** The chunk of {@code queries[b]} queries and {@code keys[b]} new keys per sequence at the current positions. */
    Chunk chunk(int[] queries, int[] keys, int stream) {
        int nq = Math.max(1, Arrays.stream(queries).max().orElse(0)), nk = Arrays.stream(keys).max().orElse(0);
        int batch = recipe.batch(), hq = recipe.qHeads(), hkv = recipe.kvHeads();
        int dqk = recipe.qkHeadDim(), dv = recipe.vHeadDim();
        ElementType act = spec.types().activations();
        Tensor q = Tensor.zeros(act, batch, hq, nq, dqk).fill(Float.NaN);
        Tensor k = nk == 0 ? null : Tensor.zeros(act, batch, hkv, nk, dqk).fill(Float.NaN);
        Tensor v = nk == 0 ? null : Tensor.zeros(act, batch, hkv, nk, dv).fill(Float.NaN);
        Chunk shape = new Chunk(q, k, v, null, queries, keys, recipe.padding(), null);
        for (int b = 0; b < batch; b++) {
            int past = held(b);
            for (int t = 0; t < queries[b]; t++) {
                float[] token = recipe.token(b, past + t, QUERY_STREAM + steps);
                int at = 0, row = shape.row(b, t);
                for (int h = 0; h < hq; h++) for (int d = 0; d < dqk; d++) q.set(token[at++], b, h, row, d);
            }
            for (int t = 0; t < keys[b]; t++) {
                float[] kv = keyValue(b, past + t, stream);
                int at = 0, row = shape.keyRow(b, t);
                for (int g = 0; g < hkv; g++) for (int d = 0; d < dqk; d++) k.set(kv[at++], b, g, row, d);
                for (int g = 0; g < hkv; g++) for (int d = 0; d < dv; d++) v.set(kv[at++], b, g, row, d);
            }
        }
        return shape;
    }

    private static void fail(Chunk chunk, int b, String failure, String detail) {
        throw new AssertionError(Facts.of().add("failure", failure).add("sequence", b).add("chunk", chunk)
                .add("but was", detail).toString());
    }
}
