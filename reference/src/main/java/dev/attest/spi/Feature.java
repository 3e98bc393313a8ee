package dev.attest.spi;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.Layout;
import dev.attest.reference.Mask;
import dev.attest.reference.Tensor;

import java.util.EnumSet;
import java.util.Set;

/**
 * A part of the contract a backend may or may not support. A problem requires the features it uses
 * ({@link #requiredBy(AttentionProblem)}); a backend declares the ones it supports in its {@link Capabilities};
 * a call that needs an undeclared feature is refused with {@link UnsupportedFeatureException}, and the suite
 * reports the combination as unsupported, never as a pass.
 */
public enum Feature {
    /** Fewer key/value heads than query heads (GQA, MQA). */
    GROUPED_QUERY_HEADS,
    /** Value head dim differs from the query/key head dim. */
    DISTINCT_VALUE_DIM,
    /** A logit scale other than 1/sqrt(Dqk). */
    CUSTOM_SCALE,
    /** Logit soft-capping {@code c*tanh(s/c)}. */
    SOFTCAP,
    /** A boolean attention mask. */
    BOOLEAN_MASK,
    /** An additive float mask (bias). */
    ADDITIVE_MASK,
    /** Per-batch key lengths (key padding). */
    KEY_PADDING,
    /** A causal mask with any alignment the same for every sequence (top-left, bottom-right, an offset). */
    CAUSAL,
    /**
     * A causal mask or window whose offset differs per sequence: {@code Alignment.KEY_LENGTHS} (bottom-right to each
     * sequence's key length: ONNX opset 24 {@code nonpad_kv_seqlen} with {@code is_causal}, FlashAttention's
     * {@code cache_seqlens}) or {@code Alignment.perSequence}.
     */
    PER_SEQUENCE_OFFSETS,
    /** A sliding window. */
    SLIDING_WINDOW,
    /** Inputs or output in a layout other than dense BHSD (BSHD or other strides). */
    STRIDED_LAYOUT,
    /**
     * A tensor in an element type other than fp32. Which combinations, {@link Capabilities#types()} says; a
     * {@link Capabilities} has this feature exactly when it declares a combination other than all-fp32, so a
     * backend that checks only features still refuses a bf16 call it never heard of.
     */
    LOW_PRECISION,
    /** The multi-head layer (projections, heads, output projection). */
    LAYER,
    /** Biases on the layer's projections. */
    PROJECTION_BIAS,
    /** Cross-attention: K and V projected from a memory sequence. */
    CROSS_ATTENTION,
    /** Rotary position embedding. */
    ROTARY,
    /** LoRA adapters on the Q/K/V projections. */
    LORA,
    /**
     * Keys and values in a paged layout: blocks of a pool read through a block table per sequence, with per-sequence
     * lengths ({@link dev.attest.reference.paged.PagedProblem}; vLLM, FlashInfer, FlashAttention's paged KV), and a
     * KV cache stored that way ({@link dev.attest.reference.cache.CacheSpec#blockSize()}).
     */
    PAGED_KV,
    /**
     * A packed variable-length batch: sequences stored one after another with {@code cu_seqlens} offsets
     * ({@link dev.attest.reference.packed.PackedProblem}; FlashAttention's varlen kernels).
     */
    PACKED_VARLEN,
    /** A KV cache for incremental decoding: chunks appended, per-sequence lengths, rollback (core and layer). */
    KV_CACHE,
    /** A fixed-capacity ring-buffer cache that evicts keys outside a sliding window. */
    KV_CACHE_RING,
    /**
     * A cache that is not causal: every query sees every held key (a cross-attention memory opened from past K/V
     * and read by query-only chunks; a bidirectional prefix).
     */
    KV_CACHE_NONCAUSAL,
    /**
     * Chunks whose query and new-key counts differ, query-only chunks included (ONNX past/present with
     * {@code q_len != kv_len}).
     */
    KV_CACHE_UNEVEN_CHUNKS,
    /**
     * Chunks carrying a boolean or additive mask over absolute key positions (ONNX {@code attn_mask} with past);
     * the mask's kind also needs BOOLEAN_MASK or ADDITIVE_MASK.
     */
    KV_CACHE_MASK,
    /**
     * The per-row log-sum-exp of the logits beside the output ({@link dev.attest.reference.AuxiliaryOutputs}:
     * FlashAttention's softmax_lse, what a split-KV decode combines).
     */
    LOG_SUM_EXP,
    /** The attention scores at any ONNX qk_matmul_output stage ({@link dev.attest.reference.ScoreStage}). */
    ATTENTION_SCORES;

    /** Features a KV cache of {@code spec} uses: KV_CACHE, the ring, and whatever its core or layer uses. */
    public static Set<Feature> requiredBy(dev.attest.reference.cache.CacheSpec spec) {
        Set<Feature> features = requiredBy(spec.attention());
        features.add(KV_CACHE);
        if (spec.eviction() == dev.attest.reference.cache.Eviction.SLIDING_WINDOW) features.add(KV_CACHE_RING);
        if (!spec.attention().causal()) features.add(KV_CACHE_NONCAUSAL);
        if (spec.isPaged()) features.add(PAGED_KV);
        if (spec.isLayer()) {
            features.add(LAYER);
            if (spec.layer().biases()) features.add(PROJECTION_BIAS);
            if (spec.layer().rotary() != null) features.add(ROTARY);
            if (spec.layer().loraRank() > 0) features.add(LORA);
        }
        return features;
    }

    /** Features appending {@code chunk} uses beyond those of its cache: uneven counts and a mask. */
    public static Set<Feature> requiredBy(dev.attest.reference.cache.Chunk chunk) {
        Set<Feature> features = EnumSet.noneOf(Feature.class);
        if (chunk.uneven()) features.add(KV_CACHE_UNEVEN_CHUNKS);
        if (chunk.mask() != null) features.add(KV_CACHE_MASK);
        addMask(features, chunk.mask());
        return features;
    }

    /** Features a core attention call returning {@code aux} uses: the call's, LOG_SUM_EXP, ATTENTION_SCORES. */
    public static Set<Feature> requiredBy(AttentionProblem problem, Tensor out,
                                          dev.attest.reference.AuxiliaryOutputs aux) {
        Set<Feature> features = requiredBy(problem, out);
        if (aux != null && aux.logSumExp() != null) features.add(LOG_SUM_EXP);
        if (aux != null && aux.scores() != null) features.add(ATTENTION_SCORES);
        return features;
    }

    /** Features a core attention call uses; {@code out} is the output tensor the caller supplies. */
    public static Set<Feature> requiredBy(AttentionProblem problem, Tensor out) {
        Set<Feature> features = requiredBy(problem.spec());
        addMask(features, problem.mask());
        if (problem.keyLengths() != null) features.add(KEY_PADDING);
        if (!TensorTypes.of(problem, out).isFp32()) features.add(LOW_PRECISION);
        if (Layout.of(problem.query()) != Layout.BHSD || Layout.of(problem.key()) != Layout.BHSD
                || Layout.of(problem.value()) != Layout.BHSD || (out != null && Layout.of(out) != Layout.BHSD)) {
            features.add(STRIDED_LAYOUT);
        }
        return features;
    }

    /**
     * Features a paged call uses: those of its contiguous meaning (key padding included: every sequence has its own
     * length) and PAGED_KV, without gathering anything.
     */
    public static Set<Feature> requiredBy(dev.attest.reference.paged.PagedProblem problem, Tensor out) {
        Set<Feature> features = requiredBy(problem.spec());
        features.add(PAGED_KV);
        features.add(KEY_PADDING);
        addMask(features, problem.mask());
        if (!TensorTypes.of(problem, out).isFp32()) features.add(LOW_PRECISION);
        if (Layout.of(problem.query()) != Layout.BHSD || (out != null && Layout.of(out) != Layout.BHSD)) {
            features.add(STRIDED_LAYOUT);
        }
        return features;
    }

    /** Features a packed call uses: PACKED_VARLEN and the spec's options (each sequence runs them). */
    public static Set<Feature> requiredBy(dev.attest.reference.packed.PackedProblem problem, Tensor out) {
        Set<Feature> features = requiredBy(problem.spec());
        features.remove(PER_SEQUENCE_OFFSETS);       // resolved per sequence into one offset each
        features.add(PACKED_VARLEN);
        if (!TensorTypes.of(problem, out).isFp32()) features.add(LOW_PRECISION);
        return features;
    }

    /** Features a packed layer call uses: those of the layer (self-attention, no mask) and PACKED_VARLEN. */
    public static Set<Feature> requiredBy(dev.attest.reference.packed.PackedLayerProblem problem) {
        Set<Feature> features = requiredBy(problem.spec().core());
        features.remove(PER_SEQUENCE_OFFSETS);       // resolved per sequence into one offset each
        features.add(LAYER);
        features.add(PACKED_VARLEN);
        if (problem.spec().biases()) features.add(PROJECTION_BIAS);
        if (problem.spec().rotary() != null) features.add(ROTARY);
        if (problem.spec().loraRank() > 0) features.add(LORA);
        return features;
    }

    /** Features a layer call uses. */
    public static Set<Feature> requiredBy(LayerProblem problem) {
        Set<Feature> features = requiredBy(problem.spec().core());
        features.add(LAYER);
        addMask(features, problem.mask());
        if (problem.keyLengths() != null) features.add(KEY_PADDING);
        if (problem.spec().biases()) features.add(PROJECTION_BIAS);
        if (problem.spec().crossAttention()) features.add(CROSS_ATTENTION);
        if (problem.spec().rotary() != null) features.add(ROTARY);
        if (problem.spec().loraRank() > 0) features.add(LORA);
        return features;
    }

    private static void addMask(Set<Feature> features, Mask mask) {
        if (mask instanceof Mask.Keep) features.add(BOOLEAN_MASK);
        if (mask instanceof Mask.Bias) features.add(ADDITIVE_MASK);
    }

    private static Set<Feature> requiredBy(AttentionSpec spec) {
        Set<Feature> features = EnumSet.noneOf(Feature.class);
        if (spec.kvHeads() != spec.qHeads()) features.add(GROUPED_QUERY_HEADS);
        if (spec.vHeadDim() != spec.qkHeadDim()) features.add(DISTINCT_VALUE_DIM);
        if (spec.scale().isPresent()) features.add(CUSTOM_SCALE);
        if (spec.softcap() != 0) features.add(SOFTCAP);
        if (spec.causal()) features.add(CAUSAL);
        if (spec.window() != null) features.add(SLIDING_WINDOW);
        if (spec.alignment() != null && spec.alignment().perSequence()) features.add(PER_SEQUENCE_OFFSETS);
        return features;
    }
}
