package dev.attest.properties.contract;

import dev.attest.properties.cases.AttentionCase;
import dev.attest.properties.cases.LayerCase;
import dev.attest.properties.cases.MaskKind;
import dev.attest.properties.cases.Values;
import dev.attest.reference.Alignment;
import dev.attest.reference.Layout;
import dev.attest.reference.Window;
import dev.attest.spi.Feature;

/**
 * For each contract feature, the smallest case that uses it and no other optional feature: how the honesty
 * properties ask a backend about one capability at a time.
 */
final class FeatureSamples {
    private FeatureSamples() {
    }

    /** A core case using {@code feature}, or {@code null} when the feature only exists in the layer. */
    static AttentionCase core(Feature feature) {
        AttentionCase base = AttentionCase.basic(2, 3, 2).withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 7);
        double none = AttentionCase.DEFAULT_SCALE;
        return switch (feature) {
            case GROUPED_QUERY_HEADS -> base.withDims(1, 2, 1, 2, 3, 2, 2);
            case DISTINCT_VALUE_DIM -> base.withDims(1, 1, 1, 2, 3, 2, 3);
            case CUSTOM_SCALE -> base.withOptions(0.25, 0, false, null, null);
            case SOFTCAP -> base.withOptions(none, 5, false, null, null);
            case BOOLEAN_MASK -> base.withMask(MaskKind.BOOLEAN, 0b0011, false);
            case ADDITIVE_MASK -> base.withMask(MaskKind.ADDITIVE, 0b0011, false);
            case KEY_PADDING -> base.withMask(MaskKind.NONE, 0b0011, true);
            case CAUSAL -> base.withOptions(none, 0, true, Alignment.BOTTOM_RIGHT, null);
            // two sequences at different positions: the smallest use of the feature (it needs a causal mask)
            case PER_SEQUENCE_OFFSETS -> base.withDims(2, 1, 1, 2, 3, 2, 2)
                    .withOptions(none, 0, true, Alignment.perSequence(1, 0), null);
            case SLIDING_WINDOW -> base.withOptions(none, 0, false, Alignment.TOP_LEFT, new Window(1, 0));
            case STRIDED_LAYOUT -> base.withData(Layout.BSHD, Layout.BSHD, Values.NORMAL, 7);
            // asked for through an AuxiliaryOutputs beside the plain problem (auxiliary(feature))
            case LOG_SUM_EXP, ATTENTION_SCORES -> base;
            // element types have a property of their own (S8, element types), which asks each combination
            case LAYER, PROJECTION_BIAS, CROSS_ATTENTION, ROTARY, LORA, KV_CACHE, KV_CACHE_RING, KV_CACHE_NONCAUSAL,
                 KV_CACHE_UNEVEN_CHUNKS, KV_CACHE_MASK, LOW_PRECISION, PAGED_KV, PACKED_VARLEN -> null;
        };
    }

    /** The auxiliary outputs that ask for {@code feature} of {@code problem}, or {@code null} for other features. */
    static dev.attest.reference.AuxiliaryOutputs auxiliary(Feature feature, dev.attest.reference.AttentionSpec spec) {
        return switch (feature) {
            case LOG_SUM_EXP -> dev.attest.reference.AuxiliaryOutputs.allocate(spec, true, null);
            case ATTENTION_SCORES -> dev.attest.reference.AuxiliaryOutputs.allocate(spec, false,
                    dev.attest.reference.ScoreStage.PROBABILITIES);
            default -> null;
        };
    }

    /**
     * A paged problem for PAGED_KV (two sequences of lengths 3 and 1 in blocks of 2; it needs KEY_PADDING too, as
     * every paged call does), or {@code null} for other features.
     */
    static dev.attest.reference.paged.PagedProblem paged(Feature feature) {
        if (feature != Feature.PAGED_KV) return null;
        AttentionCase two = AttentionCase.basic(2, 3, 2).withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 7)
                .withDims(2, 1, 1, 2, 3, 2, 2);
        dev.attest.reference.AttentionProblem p = two.materialize();
        return dev.attest.properties.cases.PagedLayouts.paged(p.with(p.spec(), null, new int[]{3, 1}), 2, 7,
                dev.attest.properties.cases.PagedLayouts.Unowned.ZERO, false);
    }

    /** A packed batch for PACKED_VARLEN (sequences of 2 and 1 queries over 3 and 2 keys), or {@code null}. */
    static dev.attest.reference.packed.PackedProblem packed(Feature feature) {
        if (feature != Feature.PACKED_VARLEN) return null;
        AttentionCase two = AttentionCase.basic(2, 3, 2).withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 7)
                .withDims(2, 1, 1, 2, 3, 2, 2);
        return dev.attest.properties.cases.PackedBatches.packed(two.materialize(), 1);
    }

    /** A core cache spec using {@code feature} and nothing else optional, or {@code null} for non-cache features. */
    static dev.attest.reference.cache.CacheSpec cache(Feature feature) {
        return switch (feature) {
            case KV_CACHE, KV_CACHE_UNEVEN_CHUNKS, KV_CACHE_MASK -> dev.attest.reference.cache.CacheSpec.core(
                    dev.attest.reference.AttentionSpec.builder().headDim(2).causal(Alignment.TOP_LEFT).build(), 4,
                    dev.attest.reference.cache.Eviction.NONE);
            case KV_CACHE_NONCAUSAL -> dev.attest.reference.cache.CacheSpec.core(
                    dev.attest.reference.AttentionSpec.builder().headDim(2).build(), 4,
                    dev.attest.reference.cache.Eviction.NONE);
            case KV_CACHE_RING -> dev.attest.reference.cache.CacheSpec.core(dev.attest.reference.AttentionSpec.builder()
                    .headDim(2).causal(Alignment.TOP_LEFT).window(new Window(1, 0), Alignment.TOP_LEFT).build(), 2,
                    dev.attest.reference.cache.Eviction.SLIDING_WINDOW);
            default -> null;
        };
    }

    /**
     * The chunk appended to {@link #cache}'s spec for {@code feature}: one query and its key, or for
     * KV_CACHE_UNEVEN_CHUNKS one query and two keys, or for KV_CACHE_MASK with a boolean mask keeping key 0. Its
     * output is (1, 1, 1, 2).
     */
    static dev.attest.reference.cache.Chunk chunk(Feature feature) {
        dev.attest.reference.Tensor q = dev.attest.reference.Tensor.of(new float[]{1, 0}, 1, 1, 1, 2);
        if (feature == Feature.KV_CACHE_UNEVEN_CHUNKS) {
            return dev.attest.reference.cache.Chunk.core(q, dev.attest.reference.Tensor.of(new float[]{1, 0, 0, 1},
                    1, 1, 2, 2), dev.attest.reference.Tensor.of(new float[]{2, 3, 4, 5}, 1, 1, 2, 2));
        }
        dev.attest.reference.cache.Chunk one = dev.attest.reference.cache.Chunk.core(q,
                dev.attest.reference.Tensor.of(new float[]{1, 0}, 1, 1, 1, 2),
                dev.attest.reference.Tensor.of(new float[]{2, 3}, 1, 1, 1, 2));
        return feature == Feature.KV_CACHE_MASK
                ? one.withMask(new dev.attest.reference.Mask.Keep(new boolean[]{true}, new int[]{1})) : one;
    }

    /** A layer case using {@code feature} (and LAYER), or {@code null} for core-only features. */
    static LayerCase layer(Feature feature) {
        AttentionCase core = AttentionCase.basic(2, 2, 2).withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 8);
        LayerCase plain = new LayerCase(core, 3, 0, 3, false, 0, false, 0, 0, 0, 9);
        return switch (feature) {
            case LAYER -> plain;
            case PROJECTION_BIAS -> plain.withLayer(3, 0, 3, true, 0, false, 0, 0, 0);
            case CROSS_ATTENTION -> new LayerCase(AttentionCase.basic(2, 4, 2)
                    .withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 8), 3, 5, 3, false, 0, false, 0, 0, 0, 9);
            case ROTARY -> plain.withLayer(3, 0, 3, false, 2, false, 0, 3, 3);
            case LORA -> plain.withLayer(3, 0, 3, false, 0, false, 1, 0, 0);
            default -> null;
        };
    }
}
