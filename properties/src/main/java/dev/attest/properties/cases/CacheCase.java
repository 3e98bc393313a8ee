package dev.attest.properties.cases;

import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.Layout;
import dev.attest.reference.Rotary;
import dev.attest.reference.Window;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.CacheTypes;
import dev.attest.reference.cache.Eviction;
import dev.attest.reference.cache.Padding;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A recipe for one incremental-decoding scenario: the attention (or layer) a cache serves, and how each sequence
 * of the batch is fed to it — {@code splits.get(b)} lists the sizes of sequence b's successive appends (a prefill
 * in pieces, then single-token decodes, in any pattern). Step s appends, for every sequence, its s-th piece (none
 * once its pieces run out), so pieces of different sequences share a chunk and the batch is ragged.
 *
 * <p>Token values are a function of (data seed, sequence, position, stream) only, so any split of the same
 * sequence feeds the same tokens, and stream 1 gives "other tokens" after a rollback.
 *
 * @param window     left extent of a sliding window, or -1 for none (the window is (left, 0), causal)
 * @param ring       whether the cache is a ring buffer of capacity {@code window + 1 + ringSlack} that evicts
 * @param modelDim   0 for a core cache fed with Q, K, V; else the layer's dModel
 * @param rotaryDims 0 for no rotary, else the rotated features (layer only)
 * @param types      the cache's element types: chunks and outputs, storage, fp8 descales (a layer cache is fp32)
 * @param blockSize  0 for a contiguous cache, else a paged one with blocks of that many slots
 */
public record CacheCase(int qHeads, int kvHeads, int qkHeadDim, int vHeadDim, double softcap, int window,
                        boolean ring, int ringSlack, List<List<Integer>> splits, Padding padding, Values values,
                        long dataSeed, int modelDim, int outputDim, boolean biases, int rotaryDims, int loraRank,
                        long weightSeed, CacheTypes types, int blockSize) {

    public CacheCase {
        splits = splits.stream().map(List::copyOf).toList();
        if (modelDim > 0 || types == null) types = CacheTypes.FP32;
    }

    /** The same scenario with a paged cache of blocks of {@code newBlockSize} slots (0: contiguous). */
    public CacheCase withBlockSize(int newBlockSize) {
        return new CacheCase(qHeads, kvHeads, qkHeadDim, vHeadDim, softcap, window, ring, ringSlack, splits, padding,
                values, dataSeed, modelDim, outputDim, biases, rotaryDims, loraRank, weightSeed, types, newBlockSize);
    }

    /** The same scenario in {@code newTypes} (a layer stays fp32). */
    public CacheCase withTypes(CacheTypes newTypes) {
        return new CacheCase(qHeads, kvHeads, qkHeadDim, vHeadDim, softcap, window, ring, ringSlack, splits, padding,
                values, dataSeed, modelDim, outputDim, biases, rotaryDims, loraRank, weightSeed, newTypes, blockSize);
    }

    public int batch() {
        return splits.size();
    }

    public boolean isLayer() {
        return modelDim > 0;
    }

    /** Total tokens of sequence b. */
    public int length(int b) {
        return splits.get(b).stream().mapToInt(Integer::intValue).sum();
    }

    public int maxLength() {
        int max = 0;
        for (int b = 0; b < batch(); b++) max = Math.max(max, length(b));
        return max;
    }

    /**
     * The work of the scenario, Hq·max(Dqk, Dv)·Σ_b length(b)² (each sequence's full causal pass), times the
     * layer's width: the engine's size measure. Adding a sequence or a token always increases it.
     */
    public long measure() {
        long squares = 0;
        for (int b = 0; b < batch(); b++) squares += (long) length(b) * length(b);
        return squares * qHeads * Math.max(qkHeadDim, vHeadDim) * Math.max(1, Math.max(modelDim, outputDim));
    }

    public int steps() {
        return splits.stream().mapToInt(List::size).max().orElse(0);
    }

    /** The pieces appended at step s, one per sequence (0 when a sequence has no piece left). */
    public int[] step(int s) {
        int[] sizes = new int[batch()];
        for (int b = 0; b < batch(); b++) sizes[b] = s < splits.get(b).size() ? splits.get(b).get(s) : 0;
        return sizes;
    }

    /** The attention spec of {@code batch} sequences with {@code length} queries and keys (causal TOP_LEFT). */
    public AttentionSpec attention(int batch, int length) {
        AttentionSpec.Builder builder = AttentionSpec.builder().batch(batch).heads(qHeads, kvHeads)
                .lengths(length, length).headDims(qkHeadDim, vHeadDim).softcap(softcap).causal(Alignment.TOP_LEFT);
        if (window >= 0) builder.window(new Window(window, 0), Alignment.TOP_LEFT);
        return builder.build();
    }

    public LayerSpec layer(int batch, int length) {
        return isLayer() ? new LayerSpec(attention(batch, length), modelDim, 0, outputDim, biases,
                rotaryDims == 0 ? null : new Rotary(rotaryDims, 10000.0, false), loraRank) : null;
    }

    /** The cache under test: capacity = the longest sequence (NONE) or window + 1 + slack (ring). */
    public CacheSpec cacheSpec(int extraCapacity) {
        int capacity = ring ? window + 1 + ringSlack : Math.max(1, maxLength() + extraCapacity);
        Eviction eviction = ring ? Eviction.SLIDING_WINDOW : Eviction.NONE;
        return (isLayer() ? CacheSpec.layer(layer(batch(), 1), capacity, eviction)
                : CacheSpec.core(attention(batch(), 1), capacity, eviction).withTypes(types)).paged(blockSize);
    }

    /** The layer's weights (variance 1/fan-in, as {@link LayerCase}). */
    public LayerWeights weights() {
        AttentionCase core = AttentionCase.basic(1, 1, qkHeadDim).withDims(1, qHeads, kvHeads, 1, 1, qkHeadDim,
                vHeadDim).withData(Layout.BHSD, Layout.BHSD, values == Values.ZEROS ? Values.ZEROS : Values.NORMAL,
                dataSeed);
        return new LayerCase(core, modelDim, 0, outputDim, biases, rotaryDims, false, loraRank, 0, 0, weightSeed)
                .materialize().weights();
    }

    /** Floats per token: X for the layer, else Q | K | V concatenated (head-major). */
    public int tokenWidth() {
        return isLayer() ? modelDim : qHeads * qkHeadDim + kvHeads * (qkHeadDim + vHeadDim);
    }

    /** The token at {@code position} of sequence {@code b} in token stream {@code stream}. */
    public float[] token(int b, int position, int stream) {
        SplittableRandom random = new SplittableRandom(dataSeed ^ (0x9E3779B97F4A7C15L * (1 + b))
                ^ (0xC2B2AE3D27D4EB4FL * (1 + position)) ^ (0x165667B19E3779F9L * (1 + stream)));
        float[] row = new float[tokenWidth()];
        for (int i = 0; i < row.length; i++) {
            row[i] = switch (values) {
                case ZEROS -> 0f;
                case ONES -> 1f;
                case SMALL_INTEGERS -> random.nextInt(-2, 3);
                default -> (float) AttentionCase.gaussian(random);
            };
            row[i] = (float) types.activations().round(row[i]);   // representable in the chunks' type
        }
        return row;
    }

    public CacheCase withSplits(List<List<Integer>> newSplits) {
        return new CacheCase(qHeads, kvHeads, qkHeadDim, vHeadDim, softcap, window, ring, ringSlack, newSplits,
                padding, values, dataSeed, modelDim, outputDim, biases, rotaryDims, loraRank, weightSeed, types, blockSize);
    }

    public CacheCase withDims(int qHeads, int kvHeads, int qkHeadDim, int vHeadDim) {
        int rotary = rotaryDims > qkHeadDim ? 0 : rotaryDims;
        return new CacheCase(qHeads, kvHeads, qkHeadDim, vHeadDim, softcap, window, ring, ringSlack, splits, padding,
                values, dataSeed, modelDim, outputDim, biases, rotary, loraRank, weightSeed, types, blockSize);
    }

    public CacheCase withOptions(double softcap, int window, boolean ring, int ringSlack, Padding padding,
                                 Values values) {
        return new CacheCase(qHeads, kvHeads, qkHeadDim, vHeadDim, softcap, window, ring && window >= 0, ringSlack,
                splits, padding, values, dataSeed, modelDim, outputDim, biases, rotaryDims, loraRank, weightSeed, types, blockSize);
    }

    /** The same scenario through the layer ({@code modelDim > 0}) or the core cache ({@code modelDim = 0}). */
    public CacheCase withLayer(int modelDim, int outputDim, boolean biases, int rotaryDims, int loraRank) {
        return new CacheCase(qHeads, kvHeads, qkHeadDim, vHeadDim, softcap, window, ring, ringSlack, splits, padding,
                values, dataSeed, modelDim, modelDim > 0 ? Math.max(1, outputDim) : 0, modelDim > 0 && biases,
                modelDim > 0 && rotaryDims <= qkHeadDim ? rotaryDims : 0, modelDim > 0 ? loraRank : 0, weightSeed, types, blockSize);
    }

    /** Every sequence as one prefill of its whole length. */
    public CacheCase asOnePrefill() {
        List<List<Integer>> one = new ArrayList<>();
        for (int b = 0; b < batch(); b++) one.add(List.of(length(b)));
        return withSplits(one);
    }

    /**
     * This scenario made ragged (at least two sequences, not all of the same length) with the fewest tokens added:
     * a lone sequence gets a partner of length 1 (2 when it has length 1 itself); equal lengths L lose one token
     * from the last sequence (L > 1) or, for L = 1, the last gets a second token. Shortening rather than growing
     * keeps a finishing step from regrowing what shrinking took away.
     */
    public CacheCase asRagged() {
        List<List<Integer>> grown = new ArrayList<>(splits);
        if (grown.size() < 2) grown.add(length(0) == 1 ? List.of(1, 1) : List.of(1));
        CacheCase c = withSplits(grown);
        for (int b = 1; b < c.batch(); b++) if (c.length(b) != c.length(0)) return c;
        List<Integer> last = new ArrayList<>(grown.getLast());
        if (c.length(0) == 1) {
            last.add(1);
        } else if (last.getLast() > 1) {
            last.set(last.size() - 1, last.getLast() - 1);
        } else {
            last.removeLast();
        }
        grown.set(grown.size() - 1, last);
        return withSplits(grown);
    }

    /** Sequence b alone (batch 1). */
    public CacheCase alone(int b) {
        return withSplits(List.of(splits.get(b)));
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        text.append(isLayer() ? layer(batch(), Math.max(1, maxLength())) : attention(batch(), Math.max(1, maxLength())));
        text.append(ring ? " ring=" + (window + 1 + ringSlack) : "");
        text.append(" splits=").append(splits);
        if (padding == Padding.LEFT) text.append(" left-padded");
        if (!types.isFp32()) text.append(" types=").append(types);
        if (blockSize > 0) text.append(" paged=").append(blockSize);
        return text.append(" values=").append(values).append(" seeds=").append(dataSeed).append('/')
                .append(weightSeed).toString();
    }

}
