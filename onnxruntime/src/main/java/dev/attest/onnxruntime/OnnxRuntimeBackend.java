package dev.attest.onnxruntime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.ElementType;
import dev.attest.reference.Mask;
import dev.attest.reference.MaskView;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.spi.Capabilities;
import dev.attest.spi.CheckedBackend;
import dev.attest.spi.Feature;
import dev.attest.spi.TensorTypes;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.attest.onnxruntime.OnnxModel.Attribute;
import static dev.attest.onnxruntime.OrtStaging.Slot;
import static dev.attest.onnxruntime.OrtStaging.longs;

/**
 * ONNX Runtime's CPU {@code Attention} operator (opset 23) as a backend under test. Each distinct set of attributes,
 * element type and mask kind gets a one-node model ({@link OnnxModel}) with symbolic dimensions and one session; the
 * spec maps onto the operator as follows:
 *
 * <pre>
 *   Q, K, V, Y               4-D (B, H, S, D), copied dense (any Attest layout), all fp32 or all fp16 (stored bits)
 *   scale, softcap           the attributes of the same names (omitted when default / 0)
 *   causal, offset 0         is_causal = 1 (ONNX causal is top-left)
 *   boolean / additive mask  attn_mask in its own broadcast shape when it is the only masking, except that a
 *                            broadcast key axis is repeated (ONNX Runtime 1.29 refuses it; see maskTensor)
 *   other alignments, sliding window, key padding
 *                            folded with any mask into one full (B, Hq, Sq, Skv) attn_mask: boolean, or
 *                            additive with -inf where hidden (opset 23 has no window or nonpad_kv_seqlen input)
 *   per-sequence alignments  not declared: opset 23 cannot say them, and folding them into attn_mask would test
 *                            the folding, not ONNX Runtime (opset 24's nonpad_kv_seqlen with is_causal is
 *                            keyLengths with Alignment.KEY_LENGTHS; the opset-24 peer is future work)
 *   additive mask in fp16    rounded to fp16: ORT takes a float attn_mask only in Q's type
 * </pre>
 *
 * Element types: what ONNX Runtime 1.29's CPU kernel fuses, and nothing else (OnnxFp16ProbeTest): fp32 or fp16 Q, K,
 * V and Y; bf16, fp8 and mixed types are refused by ORT, so they are not declared. Accumulation is fp32 (the fp16
 * path computes scores and P.V in fp32), but its fp16 path rounds the scores and the normalised weights to fp16
 * buffers in between: docs/precision.md, "ONNX Runtime in fp16", says what the kit finds.
 *
 * Core attention and its KV cache (past/present, {@link OnnxAttentionCache}): the layer is not an ONNX operator, so
 * {@link Feature#LAYER} and friends are not declared, nor a ring buffer (ONNX's past grows; it does not evict).
 */
public final class OnnxRuntimeBackend extends CheckedBackend {
    /** Every core feature that opset 23 can express (through attributes or attn_mask), in fp32 and fp16. */
    public static final Capabilities CAPABILITIES = new Capabilities(EnumSet.of(Feature.GROUPED_QUERY_HEADS,
            Feature.DISTINCT_VALUE_DIM, Feature.CUSTOM_SCALE, Feature.SOFTCAP, Feature.BOOLEAN_MASK,
            Feature.ADDITIVE_MASK, Feature.KEY_PADDING, Feature.CAUSAL, Feature.SLIDING_WINDOW,
            Feature.STRIDED_LAYOUT, Feature.KV_CACHE, Feature.KV_CACHE_UNEVEN_CHUNKS, Feature.KV_CACHE_MASK,
            Feature.KV_CACHE_NONCAUSAL), Precision.FP32,
            // ordered: the kit's edge cases use the first combination
            new LinkedHashSet<>(List.of(TensorTypes.FP32, TensorTypes.uniform(ElementType.FP16))));

    private final int threads;
    private final Map<String, OrtSession> sessions = new HashMap<>();
    private final OrtStaging staging = new OrtStaging();

    /** ONNX Runtime's default intra-op thread count. */
    public OnnxRuntimeBackend() {
        this(0);
    }

    /** {@code threads} intra-op threads (0 = ONNX Runtime's default). */
    public OnnxRuntimeBackend(int threads) {
        super("onnxruntime", "ONNX Runtime " + OrtEnv.VERSION + " CPU Attention (opset 23), fp32 and fp16"
                + (threads > 0 ? ", " + threads + " threads" : ""), CAPABILITIES);
        this.threads = threads;
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.ofNullable(OrtEnv.FAILURE);
    }

    @Override
    protected synchronized void computeAttention(AttentionProblem problem, Tensor out) {
        if (OrtEnv.FAILURE != null) throw new IllegalStateException(OrtEnv.FAILURE);
        AttentionSpec spec = problem.spec();
        OrtEnvironment env = OrtEnv.ENV;
        ElementType type = out.type();      // the declared combinations are uniform: Q, K, V and Y share it
        boolean causalAttribute = spec.causal() && !spec.alignment().perSequence() && spec.positionOffset() == 0;
        boolean folded = problem.keyLengths() != null || spec.window() != null || (spec.causal() && !causalAttribute);
        Mask mask = problem.mask();
        boolean additive = mask instanceof Mask.Bias;
        boolean hasMask = mask != null || folded;

        List<Attribute> attributes = new ArrayList<>();
        if (causalAttribute) attributes.add(Attribute.ofInt("is_causal", 1));
        spec.scale().ifPresent(s -> attributes.add(Attribute.ofFloat("scale", (float) s)));
        if (spec.softcap() != 0) attributes.add(Attribute.ofFloat("softcap", (float) spec.softcap()));
        int maskType = !hasMask ? 0 : additive ? onnxType(type) : OnnxModel.BOOL;
        int maskRank = !hasMask ? 0 : folded ? 4 : mask.shape().length;
        try {
            OrtSession session = session(attributes, onnxType(type), maskType, maskRank);
            Map<String, OnnxTensor> inputs = new HashMap<>();
            try {
                inputs.put("Q", staging.input(env, Slot.Q, problem.query()));
                inputs.put("K", staging.input(env, Slot.K, problem.key()));
                inputs.put("V", staging.input(env, Slot.V, problem.value()));
                if (hasMask) inputs.put("attn_mask", maskTensor(env, problem, folded, causalAttribute, type));
                try (OnnxTensor y = staging.output(env, out);
                     OrtSession.Result ignored = session.run(inputs, Map.of("Y", y))) {
                    staging.copyOut(out);
                }
            } finally {
                for (OnnxTensor t : inputs.values()) t.close();
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on " + problem + ": " + e.getMessage(), e);
        }
    }

    /**
     * A KV cache through ONNX's past_key/past_value and present outputs ({@link OnnxAttentionCache}): core attention
     * only, one batch-1 call per sequence of a chunk.
     */
    @Override
    protected dev.attest.spi.KvCache createCache(dev.attest.reference.cache.CacheSpec spec,
                                                 dev.attest.reference.LayerWeights weights) {
        if (OrtEnv.FAILURE != null) throw new IllegalStateException(OrtEnv.FAILURE);
        return new OnnxAttentionCache(this, spec);
    }

    /** The session of a cache's step: with past K/V and present outputs when {@code past}, else the plain model. */
    synchronized OrtSession cacheSession(List<Attribute> attributes, ElementType type, Mask mask, boolean past)
            throws OrtException {
        int maskType = mask == null ? 0 : mask instanceof Mask.Bias ? onnxType(type) : OnnxModel.BOOL;
        int maskRank = mask == null ? 0 : mask.shape().length;
        if (!past) return session(attributes, onnxType(type), maskType, maskRank);
        String key = attributes + " type=" + type + " mask=" + maskType + "/" + maskRank + " past";
        OrtSession session = sessions.get(key);
        if (session != null) return session;
        session = OrtEnv.ENV.createSession(OnnxModel.attentionWithPast(onnxType(type), maskType, maskRank, attributes),
                options());
        sessions.put(key, session);
        return session;
    }

    private static int onnxType(ElementType type) {
        return switch (type) {
            case FP32 -> OnnxModel.FLOAT;
            case FP16 -> OnnxModel.FLOAT16;
            default -> throw new IllegalArgumentException("not a declared element type: " + type);
        };
    }

    /** The session of one model: Q, K, V and Y of {@code elemType}, attn_mask of {@code maskType} (0: none). */
    private OrtSession session(List<Attribute> attributes, int elemType, int maskType, int maskRank)
            throws OrtException {
        String key = attributes + " type=" + elemType + " mask=" + maskType + "/" + maskRank;
        OrtSession session = sessions.get(key);
        if (session != null) return session;
        byte[] model = OnnxModel.attention(OnnxModel.OPSET, elemType, elemType, elemType, maskType, maskRank,
                attributes);
        session = OrtEnv.ENV.createSession(model, options());
        sessions.put(key, session);
        return session;
    }

    private OrtSession.SessionOptions options() throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        if (threads > 0) options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        return options;
    }

    /**
     * attn_mask: the problem's own mask when nothing needs folding in; otherwise the full (B, Hq, Sq, Skv)
     * visibility of everything except a causal mask left to is_causal, with the additive bias where visible.
     */
    private OnnxTensor maskTensor(OrtEnvironment env, AttentionProblem problem, boolean folded,
                                  boolean causalAttribute, ElementType type) throws OrtException {
        Mask mask = problem.mask();
        if (!folded) {
            // ONNX Runtime 1.29 refuses an attn_mask broadcast along the key axis (attention_helper.h:159,
            // "inconsistent total_sequence_length"), though the spec allows it: repeat that axis, keep the others.
            int[] own = mask.shape();
            int keys = own[own.length - 1], skv = problem.spec().kvLength(), rows = 1;
            for (int axis = 0; axis < own.length - 1; axis++) rows *= own[axis];
            long[] shape = longs(own);
            shape[shape.length - 1] = skv;
            int[] from = new int[rows * skv];
            for (int r = 0; r < rows; r++) for (int j = 0; j < skv; j++) from[r * skv + j] = r * keys + (keys == 1 ? 0 : j);
            if (mask instanceof Mask.Bias b) {
                float[] bias = new float[from.length];
                for (int t = 0; t < from.length; t++) bias[t] = b.bias()[from[t]];
                return staging.additiveMask(env, bias, shape, type);
            }
            boolean[] keep = new boolean[from.length];
            for (int t = 0; t < from.length; t++) keep[t] = ((Mask.Keep) mask).keep()[from[t]];
            return staging.boolMask(env, keep, shape);
        }
        AttentionSpec spec = problem.spec();
        AttentionSpec rest = causalAttribute ? spec.toBuilder().noCausal().build() : spec;
        MaskView view = problem.with(rest, mask, problem.keyLengths()).maskView();
        int batch = spec.batch(), hq = spec.qHeads(), sq = spec.qLength(), skv = spec.kvLength();
        long[] shape = {batch, hq, sq, skv};
        int n = batch * hq * sq * skv, t = 0;
        boolean[] keep = new boolean[n];
        float[] bias = mask instanceof Mask.Bias ? new float[n] : null;
        for (int b = 0; b < batch; b++) for (int h = 0; h < hq; h++) for (int i = 0; i < sq; i++) {
            for (int j = 0; j < skv; j++, t++) {
                keep[t] = view.visible(b, h, i, j);
                if (bias != null) bias[t] = keep[t] ? view.bias(b, h, i, j) : Float.NEGATIVE_INFINITY;
            }
        }
        return bias != null ? staging.additiveMask(env, bias, shape, type) : staging.boolMask(env, keep, shape);
    }
}
