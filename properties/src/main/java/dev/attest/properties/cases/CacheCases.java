package dev.attest.properties.cases;

import dev.attest.properties.engine.Arbitrary;
import dev.attest.properties.engine.CaseRandom;
import dev.attest.reference.Descale;
import dev.attest.reference.ElementType;
import dev.attest.reference.cache.CacheTypes;
import dev.attest.reference.cache.Padding;
import dev.attest.spi.TensorTypes;
import dev.attest.spi.Capabilities;
import dev.attest.spi.Feature;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static dev.attest.spi.Feature.*;

/**
 * Generates incremental-decoding scenarios ({@link CacheCase}) using only declared features: per sequence a
 * length and a split of it into appends (a prefill in one or more pieces, then mostly single-token decodes),
 * ragged batches, left padding, windows and ring buffers, the layer with rotary, biases and LoRA. Edge cases come
 * first (one token; prefill then decode; all single tokens). Shrinks toward one sequence, one prefill, fewer
 * tokens, smaller heads and no options.
 */
public final class CacheCases implements Arbitrary<CacheCase> {
    private final Set<Feature> features;
    /** The declared combinations a core cache can take (chunks and output in one type, K and V in one). */
    private final List<TensorTypes> types;
    private final boolean layer;
    private final UnaryOperator<CacheCase> finish;

    private CacheCases(Set<Feature> features, List<TensorTypes> types, boolean layer, UnaryOperator<CacheCase> finish) {
        this.features = features;
        this.types = layer ? List.of(TensorTypes.FP32) : types;
        this.layer = layer;
        this.finish = finish;
    }

    private static List<TensorTypes> cacheShaped(Capabilities capabilities) {
        return capabilities.types().stream().filter(TensorTypes::isCacheShaped).toList();
    }

    /** Core cache scenarios (Q, K, V chunks) using what {@code capabilities} declares. */
    public static CacheCases core(Capabilities capabilities) {
        return new CacheCases(Set.copyOf(capabilities.features()), cacheShaped(capabilities), false,
                UnaryOperator.identity());
    }

    /** Layer cache scenarios (X chunks). */
    public static CacheCases layer(Capabilities capabilities) {
        return new CacheCases(Set.copyOf(capabilities.features()), List.of(TensorTypes.FP32), true,
                UnaryOperator.identity());
    }

    /** Applies {@code step} to every generated, edge and shrunk case: how a property forces what it is about. */
    public CacheCases finishing(UnaryOperator<CacheCase> step) {
        UnaryOperator<CacheCase> previous = finish;
        return new CacheCases(features, types, layer, c -> step.apply(previous.apply(c)));
    }

    private boolean allows(Feature f) {
        return features.contains(f);
    }

    @Override
    public CacheCase generate(CaseRandom random, int size) {
        int batch = 1 + random.nextInt(1 + size / 34);
        int kvHeads = 1 + random.nextInt(1 + size / 50);
        int group = allows(GROUPED_QUERY_HEADS) && random.nextInt(3) == 0 ? 2 : 1;
        int qk = 1 + random.nextInt(2 + size / 20);
        int v = allows(DISTINCT_VALUE_DIM) && random.nextInt(3) == 0 ? 1 + random.nextInt(2 + size / 20) : qk;
        double softcap = allows(SOFTCAP) && random.nextInt(5) == 0 ? 1 + random.nextDouble() * 20 : 0;
        int window = allows(SLIDING_WINDOW) && random.nextInt(4) == 0 ? random.nextInt(5) : -1;
        boolean ring = window >= 0 && allows(KV_CACHE_RING) && random.nextBoolean();
        int slack = random.nextInt(3);
        int maxLength = 2 + size / 8;
        List<List<Integer>> splits = new ArrayList<>();
        for (int b = 0; b < batch; b++) splits.add(split(random, 1 + random.nextInt(maxLength)));
        Padding padding = random.nextInt(3) == 0 ? Padding.LEFT : Padding.RIGHT;
        Values values = random.nextInt(5) == 0 ? Values.SMALL_INTEGERS : Values.NORMAL;
        long dataSeed = random.nextLong();
        // a quarter of the caches paged (blocks of 1 to 4 slots), chosen from the data seed: no extra draw, so the
        // rest of the case is what it was before paging existed
        int blockSize = allows(PAGED_KV) && (dataSeed & 3) == 0 ? 1 + (int) ((dataSeed >>> 2) & 3) : 0;
        CacheCase c = new CacheCase(kvHeads * group, kvHeads, qk, v, softcap, window, ring, slack, splits, padding,
                values, dataSeed, 0, 0, false, 0, 0, random.nextLong(), null, blockSize);
        if (!layer && types.size() > 1) {
            c = c.withTypes(cacheTypes(types.get(random.nextInt(types.size())), kvHeads, random.nextBoolean(),
                    random.nextLong()));
        }
        if (layer) {
            int modelDim = 1 + random.nextInt(2 + size / 12);
            int rotary = allows(ROTARY) && qk >= 2 && random.nextInt(3) != 0 ? 2 * (1 + random.nextInt(qk / 2)) : 0;
            c = c.withLayer(modelDim, random.nextBoolean() ? modelDim : 1 + random.nextInt(3),
                    allows(PROJECTION_BIAS) && random.nextBoolean(), rotary,
                    allows(LORA) && random.nextInt(4) == 0 ? 1 + random.nextInt(2) : 0);
        }
        return finish.apply(c);
    }

    /**
     * The cache types of a declared combination. An fp8 cache gets descales that put the tokens' range (|x| up to
     * about 4.5 for the kit's Gaussians) at a quarter to half of the format's largest value, one per kv head or one
     * for the tensor: most values land on normal fp8 numbers, the largest few near the top, none saturate.
     */
    static CacheTypes cacheTypes(TensorTypes combination, int kvHeads, boolean perHead, long seed) {
        ElementType storage = combination.key(), activations = combination.query();
        if (!storage.isFp8()) return CacheTypes.of(activations, storage);
        SplittableRandom random = new SplittableRandom(seed);
        float[] k = new float[perHead ? kvHeads : 1], v = new float[k.length];
        for (int g = 0; g < k.length; g++) {
            k[g] = (float) (9 * (1 + random.nextDouble()) / storage.maxFinite());
            v[g] = (float) (9 * (1 + random.nextDouble()) / storage.maxFinite());
        }
        return CacheTypes.fp8(activations, storage, Descale.perHead(k), Descale.perHead(v));
    }

    /** A split of {@code length} tokens: a prefill of random size (sometimes in pieces), then mostly decodes. */
    private static List<Integer> split(CaseRandom random, int length) {
        List<Integer> pieces = new ArrayList<>();
        int left = length;
        int prefill = random.nextInt(left + 1);
        while (prefill > 0) {
            int piece = 1 + random.nextInt(prefill);
            pieces.add(piece);
            prefill -= piece;
            left -= piece;
        }
        while (left > 0) {
            int piece = random.nextInt(3) == 0 ? 1 + random.nextInt(left) : 1;
            pieces.add(piece);
            left -= piece;
        }
        return pieces;
    }

    @Override
    public List<CacheCase> edgeCases() {
        List<CacheCase> edges = new ArrayList<>();
        CacheCase one = new CacheCase(1, 1, 2, 2, 0, -1, false, 0, List.of(List.of(1)), Padding.RIGHT,
                Values.SMALL_INTEGERS, 41, 0, 0, false, 0, 0, 42, null, 0);
        edges.add(one);
        edges.add(one.withSplits(List.of(List.of(3, 1, 1))));
        // two query heads: sharing one kv head where GQA is declared
        edges.add(one.withSplits(List.of(List.of(1, 1, 1, 1))).withDims(2, allows(GROUPED_QUERY_HEADS) ? 1 : 2, 2, 2));
        edges.add(one.withSplits(List.of(List.of(2, 1, 1), List.of(1, 3), List.of(4))));
        if (allows(PAGED_KV)) {      // a ragged batch in blocks of 2: blocks taken mid-chunk and at a decode
            edges.add(one.withSplits(List.of(List.of(3, 1, 1), List.of(1, 2, 2))).withBlockSize(2));
        }
        if (allows(SLIDING_WINDOW)) {
            edges.add(one.withSplits(List.of(List.of(2, 1, 1, 1, 1))).withOptions(0, 2, allows(KV_CACHE_RING), 0,
                    Padding.RIGHT, Values.NORMAL));
        }
        // each declared cache type once, on prefill-then-decode: a cache that stores or reads a type wrongly
        // (head dimension 16: whole vectors, where a kernel may take its widest path)
        for (TensorTypes t : types) {
            if (t.isFp32()) continue;
            edges.add(one.withSplits(List.of(List.of(3, 1, 1))).withDims(2, allows(GROUPED_QUERY_HEADS) ? 1 : 2, 4, 4)
                    .withOptions(0, -1, false, 0, Padding.RIGHT, Values.NORMAL).withTypes(cacheTypes(t, 1, false, 43)));
            edges.add(one.withSplits(List.of(List.of(2, 1))).withDims(1, 1, 16, 16)
                    .withOptions(0, -1, false, 0, Padding.RIGHT, Values.NORMAL).withTypes(cacheTypes(t, 1, false, 44)));
        }
        List<CacheCase> finished = new ArrayList<>();
        for (CacheCase edge : edges) {
            CacheCase e = layer ? edge.withLayer(3, 2, false, edge.qkHeadDim() >= 2 && allows(ROTARY) ? 2 : 0, 0)
                    : edge;
            finished.add(finish.apply(e));
        }
        return finished;
    }

    @Override
    public Stream<CacheCase> shrink(CacheCase c) {
        Set<CacheCase> out = new LinkedHashSet<>();
        List<List<Integer>> splits = c.splits();
        if (splits.size() > 1) {
            out.add(c.alone(0));
            out.add(c.withSplits(splits.subList(0, splits.size() - 1)));
            out.add(c.withSplits(splits.subList(1, splits.size())));
        }
        for (int b = 0; b < splits.size(); b++) {
            List<Integer> s = splits.get(b);
            if (s.size() > 1) {
                out.add(replace(c, b, List.of(c.length(b))));                       // one prefill
                out.add(replace(c, b, s.subList(0, s.size() - 1)));                 // drop the last append
                List<Integer> merged = new ArrayList<>(s.subList(1, s.size()));     // merge the first two
                merged.set(0, s.get(0) + s.get(1));
                out.add(replace(c, b, merged));
            }
            for (int i = 0; i < s.size(); i++) {                                    // one token fewer in a piece
                if (s.get(i) < 2) continue;
                List<Integer> shorter = new ArrayList<>(s);
                shorter.set(i, s.get(i) - 1);
                out.add(replace(c, b, shorter));
            }
        }
        if (c.padding() == Padding.LEFT) out.add(c.withOptions(c.softcap(), c.window(), c.ring(), c.ringSlack(),
                Padding.RIGHT, c.values()));
        if (c.softcap() != 0) out.add(c.withOptions(0, c.window(), c.ring(), c.ringSlack(), c.padding(), c.values()));
        if (c.window() >= 0) out.add(c.withOptions(c.softcap(), -1, false, 0, c.padding(), c.values()));
        if (c.ringSlack() > 0) out.add(c.withOptions(c.softcap(), c.window(), c.ring(), 0, c.padding(), c.values()));
        for (Values simpler : c.values().simpler()) {
            out.add(c.withOptions(c.softcap(), c.window(), c.ring(), c.ringSlack(), c.padding(), simpler));
        }
        if (!c.types().isFp32() && types.contains(TensorTypes.FP32)) out.add(c.withTypes(CacheTypes.FP32));
        if (c.types().keyDescale() != null && !c.types().keyDescale().perTensor()) {
            out.add(c.withTypes(cacheTypes(TensorTypes.of(c.types()), c.kvHeads(), false, c.dataSeed())));
        }
        if (c.qHeads() > c.kvHeads()) out.add(c.withDims(c.kvHeads(), c.kvHeads(), c.qkHeadDim(), c.vHeadDim()));
        if (c.kvHeads() > 1) out.add(c.withDims(c.qHeads() / c.kvHeads(), 1, c.qkHeadDim(), c.vHeadDim()));
        if (c.qkHeadDim() > Math.max(1, c.rotaryDims())) out.add(c.withDims(c.qHeads(), c.kvHeads(), c.qkHeadDim() - 1, c.vHeadDim()));
        if (c.vHeadDim() > 1) out.add(c.withDims(c.qHeads(), c.kvHeads(), c.qkHeadDim(), c.vHeadDim() - 1));
        if (c.isLayer()) {
            if (c.loraRank() > 0) out.add(c.withLayer(c.modelDim(), c.outputDim(), c.biases(), c.rotaryDims(), 0));
            if (c.biases()) out.add(c.withLayer(c.modelDim(), c.outputDim(), false, c.rotaryDims(), c.loraRank()));
            if (c.rotaryDims() > 2) out.add(c.withLayer(c.modelDim(), c.outputDim(), c.biases(), 2, c.loraRank()));
            if (c.modelDim() > 1) out.add(c.withLayer(c.modelDim() - 1, c.outputDim(), c.biases(), c.rotaryDims(), c.loraRank()));
            if (c.outputDim() > 1) out.add(c.withLayer(c.modelDim(), 1, c.biases(), c.rotaryDims(), c.loraRank()));
        }
        out.remove(c);
        return out.stream().map(finish).filter(candidate -> !candidate.equals(c));
    }

    private static CacheCase replace(CacheCase c, int b, List<Integer> split) {
        List<List<Integer>> splits = new ArrayList<>(c.splits());
        splits.set(b, split);
        return c.withSplits(splits);
    }

    @Override
    public long measure(CacheCase value) {
        return value.measure();
    }

    @Override
    public String describe(CacheCase value) {
        return value.toString();
    }

    @Override
    public List<String> classify(CacheCase c) {
        List<String> labels = new ArrayList<>();
        if (c.batch() > 1) labels.add("batch");
        if (!c.types().isFp32()) labels.add("types " + TensorTypes.of(c.types()));
        if (c.padding() == Padding.LEFT) labels.add("left-padded");
        if (c.window() >= 0) labels.add(c.ring() ? "ring" : "window");
        if (c.rotaryDims() > 0) labels.add("rotary");
        if (c.splits().stream().anyMatch(s -> s.size() > 1)) labels.add("decode");
        if (c.blockSize() > 0) labels.add("paged");
        return labels;
    }
}
