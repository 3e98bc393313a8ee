package dev.attest.properties.contract;

import dev.attest.oracle.CacheOracle;
import dev.attest.properties.cases.CacheCase;
import dev.attest.properties.judge.Expectation;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Descale;
import dev.attest.reference.ElementType;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.CacheTypes;
import dev.attest.reference.cache.Chunk;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Feature;
import dev.attest.spi.KvCache;

import java.util.ArrayList;
import java.util.List;

/**
 * One {@link CacheCase} played against a backend's {@link KvCache}, remembering per sequence the tokens it holds
 * and the latest output of every position, so that the run can be judged against one full causal pass
 * ({@link CacheOracle}). Padding rows of a chunk are NaN: a backend that reads them poisons its outputs.
 */
final class CacheRun {
    final CacheCase recipe;
    final CacheSpec spec;
    final LayerWeights weights;
    final KvCache cache;
    private final List<List<float[]>> tokens = new ArrayList<>();
    private final List<List<float[]>> outputs = new ArrayList<>();
    /** The last chunk appended and its raw output (padding rows included). */
    Chunk lastChunk;
    Tensor lastOutput;

    /** Token ids of the batch's sequences: sequence b plays the tokens of recipe sequence {@code ids[b]}. */
    private final int[] ids;

    CacheRun(AttentionBackend backend, CacheCase recipe, int extraCapacity) {
        this(backend, recipe, extraCapacity, null);
    }

    CacheRun(AttentionBackend backend, CacheCase recipe, int extraCapacity, int[] ids) {
        this.recipe = recipe;
        this.ids = ids;
        this.spec = recipe.cacheSpec(extraCapacity);
        this.weights = recipe.isLayer() ? recipe.weights() : null;
        Declared.require(backend, Feature.requiredBy(spec), recipe);
        Declared.requireTypes(backend, dev.attest.spi.TensorTypes.of(spec.types()), recipe);
        this.cache = recipe.isLayer() ? backend.openLayerCache(spec, weights) : backend.openCache(spec);
        for (int b = 0; b < recipe.batch(); b++) {
            tokens.add(new ArrayList<>());
            outputs.add(new ArrayList<>());
        }
    }

    /** Plays every step of the recipe with tokens of {@code stream}. */
    CacheRun playAll(int stream) {
        for (int s = 0; s < recipe.steps(); s++) append(recipe.step(s), stream);
        return this;
    }

    /** Builds the chunk of {@code sizes[b]} new tokens per sequence (from {@code stream}) at the current positions. */
    Chunk chunk(int[] sizes, int stream) {
        return chunk(sizes, stream, null);
    }

    /**
     * As {@link #chunk(int[], int)}, but sequence b's first {@code fromStream0[b]} tokens come from stream 0: draft
     * tokens of which those are the ones a verifier will accept (null: all from {@code stream}).
     */
    private Chunk chunk(int[] sizes, int stream, int[] fromStream0) {
        int n = 0;
        for (int size : sizes) n = Math.max(n, size);
        if (n == 0) return null;
        int batch = recipe.batch(), hq = recipe.qHeads(), hkv = recipe.kvHeads();
        int dqk = recipe.qkHeadDim(), dv = recipe.vHeadDim();
        Tensor x = null, q = null, k = null, v = null;
        ElementType act = spec.types().activations();
        if (recipe.isLayer()) x = Tensor.zeros(batch, n, recipe.modelDim()).fill(Float.NaN);
        else {
            q = Tensor.zeros(act, batch, hq, n, dqk).fill(Float.NaN);
            k = Tensor.zeros(act, batch, hkv, n, dqk).fill(Float.NaN);
            v = Tensor.zeros(act, batch, hkv, n, dv).fill(Float.NaN);
        }
        Chunk shape = new Chunk(q, k, v, x, sizes, recipe.padding());
        for (int b = 0; b < batch; b++) {
            int start = tokens.get(b).size();
            for (int t = 0; t < sizes[b]; t++) {
                float[] token = recipe.token(id(b), start + t, streamOf(b, t, stream, fromStream0));
                int row = shape.row(b, t);
                if (x != null) {
                    for (int i = 0; i < token.length; i++) x.set(token[i], b, row, i);
                    continue;
                }
                int at = 0;
                for (int h = 0; h < hq; h++) for (int d = 0; d < dqk; d++) q.set(token[at++], b, h, row, d);
                for (int g = 0; g < hkv; g++) for (int d = 0; d < dqk; d++) k.set(token[at++], b, g, row, d);
                for (int g = 0; g < hkv; g++) for (int d = 0; d < dv; d++) v.set(token[at++], b, g, row, d);
            }
        }
        return shape;
    }

    private static int streamOf(int b, int t, int stream, int[] fromStream0) {
        return fromStream0 != null && t < fromStream0[b] ? 0 : stream;
    }

    /** Appends {@code sizes[b]} tokens of {@code stream} to each sequence and records their outputs. */
    Tensor append(int[] sizes, int stream) {
        return append(sizes, stream, null);
    }

    /**
     * Appends draft tokens: {@code sizes[b]} per sequence, the first {@code fromStream0[b]} of them from stream 0
     * (the true continuation), the rest from {@code stream}; records their outputs.
     */
    Tensor append(int[] sizes, int stream, int[] fromStream0) {
        Chunk chunk = chunk(sizes, stream, fromStream0);
        if (chunk == null) return null;
        Tensor out = Tensor.zeros(spec.types().activations(), chunk.outputShape(spec)).fill(Float.NaN);
        cache.append(chunk, out);
        for (int b = 0; b < recipe.batch(); b++) {
            int start = tokens.get(b).size();
            for (int t = 0; t < sizes[b]; t++) {
                tokens.get(b).add(recipe.token(id(b), start + t, streamOf(b, t, stream, fromStream0)));
                outputs.get(b).add(outputRow(out, b, chunk.row(b, t)));
            }
        }
        lastChunk = chunk;
        lastOutput = out;
        return out;
    }

    private int id(int b) {
        return ids == null ? b : ids[b];
    }

    private float[] outputRow(Tensor out, int b, int row) {
        if (recipe.isLayer()) {
            float[] y = new float[out.dim(2)];
            for (int c = 0; c < y.length; c++) y[c] = out.get(b, row, c);
            return y;
        }
        int hq = out.dim(1), dv = out.dim(3);
        float[] o = new float[hq * dv];
        for (int h = 0; h < hq; h++) for (int d = 0; d < dv; d++) o[h * dv + d] = out.get(b, h, row, d);
        return o;
    }

    /** Rolls the cache and this record back to {@code lengths}. */
    void truncate(int[] lengths) {
        cache.truncate(lengths);
        for (int b = 0; b < lengths.length; b++) {
            tokens.get(b).subList(lengths[b], tokens.get(b).size()).clear();
            outputs.get(b).subList(lengths[b], outputs.get(b).size()).clear();
        }
    }

    int length(int b) {
        return tokens.get(b).size();
    }

    /** The latest output of every position of sequence b, shaped like the full pass: (1, Hq, T, Dv) or (1, T, dOut). */
    Tensor outputs(int b) {
        List<float[]> rows = outputs.get(b);
        int t = rows.size();
        if (recipe.isLayer()) {
            int width = rows.getFirst().length;
            Tensor y = Tensor.zeros(1, t, width);
            for (int p = 0; p < t; p++) for (int c = 0; c < width; c++) y.set(rows.get(p)[c], 0, p, c);
            return y;
        }
        int hq = recipe.qHeads(), dv = recipe.vHeadDim();
        Tensor o = Tensor.zeros(spec.types().activations(), 1, hq, t, dv);   // the values are of that type already
        for (int p = 0; p < t; p++)
            for (int h = 0; h < hq; h++) for (int d = 0; d < dv; d++) o.set(rows.get(p)[h * dv + d], 0, h, p, d);
        return o;
    }

    /** The tolerance model for sequence b: the oracle of one full causal pass over its tokens. */
    Expectation expectation(int b, Precision precision, double k) {
        if (recipe.isLayer()) {
            LayerProblem full = fullLayerPass(b);
            return Expectation.layer(full, precision, k);
        }
        AttentionProblem full = fullPass(b);
        return Expectation.attention(full, precision, k);
    }

    AttentionProblem fullPass(int b) {
        List<float[]> rows = tokens.get(b);
        int t = rows.size(), hq = recipe.qHeads(), hkv = recipe.kvHeads();
        int dqk = recipe.qkHeadDim(), dv = recipe.vHeadDim();
        CacheTypes types = spec.types();
        Tensor q = Tensor.zeros(types.activations(), 1, hq, t, dqk);
        Tensor k = stored(types, types.keyDescale(), b, hkv, t, dqk), v = stored(types, types.valueDescale(), b, hkv, t, dv);
        for (int p = 0; p < t; p++) {
            float[] token = rows.get(p);
            int at = 0;
            for (int h = 0; h < hq; h++) for (int d = 0; d < dqk; d++) q.set(token[at++], 0, h, p, d);
            for (int g = 0; g < hkv; g++) {
                for (int d = 0; d < dqk; d++) k.setBits(types.quantize(token[at++], types.keyFactor(b, g)), 0, g, p, d);
            }
            for (int g = 0; g < hkv; g++) {
                for (int d = 0; d < dv; d++) v.setBits(types.quantize(token[at++], types.valueFactor(b, g)), 0, g, p, d);
            }
        }
        return CacheOracle.fullPass(spec, q, k, v);
    }

    /**
     * K or V of sequence b as the cache must hold them: (1, Hkv, T, D) in the storage type, each value quantised as
     * {@link CacheTypes} says, with sequence b's descales: what the full pass attends to.
     */
    static Tensor stored(CacheTypes types, Descale descale, int b, int hkv, int t, int d) {
        if (descale == null) return Tensor.zeros(types.storage(), 1, hkv, t, d);
        float[] factors = new float[hkv];
        for (int g = 0; g < hkv; g++) factors[g] = descale.factor(b, g);
        return Tensor.zeros(types.storage(), Descale.perHead(factors), 1, hkv, t, d);
    }

    LayerProblem fullLayerPass(int b) {
        List<float[]> rows = tokens.get(b);
        Tensor x = Tensor.zeros(1, rows.size(), recipe.modelDim());
        for (int p = 0; p < rows.size(); p++) for (int i = 0; i < recipe.modelDim(); i++) x.set(rows.get(p)[i], 0, p, i);
        return CacheOracle.fullPass(spec, weights, x);
    }

    /** Judges every sequence against its full pass. */
    void requireEqualsFullPass(Precision precision, double k) {
        for (int b = 0; b < recipe.batch(); b++) {
            if (length(b) == 0) continue;
            try {
                expectation(b, precision, k).check(outputs(b));
            } catch (AssertionError e) {
                throw new AssertionError("sequence " + b + " of the batch (" + length(b)
                        + " tokens) differs from one full causal pass:\n" + e.getMessage(), e);
            }
        }
    }
}
