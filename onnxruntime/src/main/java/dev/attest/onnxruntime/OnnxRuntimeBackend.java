package dev.attest.onnxruntime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Mask;
import dev.attest.reference.MaskView;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.spi.Capabilities;
import dev.attest.spi.CheckedBackend;
import dev.attest.spi.Feature;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.attest.onnxruntime.OnnxModel.Attribute;
import static dev.attest.onnxruntime.OnnxModel.Value;

/**
 * ONNX Runtime's CPU {@code Attention} operator (opset 23) as a backend under test. Each distinct set of attributes
 * gets a one-node model ({@link OnnxModel}) with symbolic dimensions and one session; the spec maps onto the
 * operator as follows:
 *
 * <pre>
 *   Q, K, V                  4-D (B, H, S, D) inputs, copied dense (any Attest layout)
 *   scale, softcap           the attributes of the same names (omitted when default / 0)
 *   causal, offset 0         is_causal = 1 (ONNX causal is top-left)
 *   boolean / additive mask  attn_mask in its own broadcast shape when it is the only masking, except that a
 *                            broadcast key axis is repeated (ONNX Runtime 1.29 refuses it; see maskTensor)
 *   other alignments, sliding window, key padding
 *                            folded with any mask into one full (B, Hq, Sq, Skv) attn_mask: boolean, or
 *                            additive with -inf where hidden (opset 23 has no window or nonpad_kv_seqlen input)
 * </pre>
 *
 * Core attention only: the layer is not an ONNX operator, so {@link Feature#LAYER} and friends are not declared.
 */
public final class OnnxRuntimeBackend extends CheckedBackend {
    /** Every core feature that opset 23 can express (through attributes or attn_mask). */
    public static final Capabilities CAPABILITIES = new Capabilities(EnumSet.of(Feature.GROUPED_QUERY_HEADS,
            Feature.DISTINCT_VALUE_DIM, Feature.CUSTOM_SCALE, Feature.SOFTCAP, Feature.BOOLEAN_MASK,
            Feature.ADDITIVE_MASK, Feature.KEY_PADDING, Feature.CAUSAL, Feature.SLIDING_WINDOW,
            Feature.STRIDED_LAYOUT), Precision.FP32);

    private final int threads;
    private final Map<String, OrtSession> sessions = new HashMap<>();
    private FloatBuffer qBuf, kBuf, vBuf, outBuf, maskFloatBuf;
    private ByteBuffer maskBoolBuf;

    /** ONNX Runtime's default intra-op thread count. */
    public OnnxRuntimeBackend() {
        this(0);
    }

    /** {@code threads} intra-op threads (0 = ONNX Runtime's default). */
    public OnnxRuntimeBackend(int threads) {
        super("onnxruntime", "ONNX Runtime " + Env.VERSION + " CPU Attention (opset 23), fp32"
                + (threads > 0 ? ", " + threads + " threads" : ""), CAPABILITIES);
        this.threads = threads;
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.ofNullable(Env.FAILURE);
    }

    /** The environment, loaded once; a missing native library makes the backend unavailable, not broken. */
    private static final class Env {
        static final OrtEnvironment ENV;
        static final String FAILURE;
        static final String VERSION;

        static {
            OrtEnvironment env = null;
            String failure = null, version = "?";
            try {
                env = OrtEnvironment.getEnvironment();
                version = env.getVersion();
            } catch (Throwable t) {
                failure = "ONNX Runtime could not be loaded: " + t;
            }
            ENV = env;
            FAILURE = failure;
            VERSION = version;
        }
    }

    @Override
    protected synchronized void computeAttention(AttentionProblem problem, Tensor out) {
        if (Env.FAILURE != null) throw new IllegalStateException(Env.FAILURE);
        AttentionSpec spec = problem.spec();
        OrtEnvironment env = Env.ENV;
        boolean causalAttribute = spec.causal() && spec.positionOffset() == 0;
        boolean folded = problem.keyLengths() != null || spec.window() != null || (spec.causal() && !causalAttribute);
        Mask mask = problem.mask();
        boolean additive = mask instanceof Mask.Bias;
        boolean hasMask = mask != null || folded;

        List<Attribute> attributes = new ArrayList<>();
        if (causalAttribute) attributes.add(Attribute.ofInt("is_causal", 1));
        spec.scale().ifPresent(s -> attributes.add(Attribute.ofFloat("scale", (float) s)));
        if (spec.softcap() != 0) attributes.add(Attribute.ofFloat("softcap", (float) spec.softcap()));
        int maskRank = !hasMask ? 0 : folded ? 4 : mask.shape().length;
        try {
            OrtSession session = session(attributes, hasMask, additive, maskRank);
            Map<String, OnnxTensor> inputs = new HashMap<>();
            try {
                qBuf = dense(problem.query(), qBuf);
                kBuf = dense(problem.key(), kBuf);
                vBuf = dense(problem.value(), vBuf);
                inputs.put("Q", OnnxTensor.createTensor(env, qBuf, longs(problem.query().shape())));
                inputs.put("K", OnnxTensor.createTensor(env, kBuf, longs(problem.key().shape())));
                inputs.put("V", OnnxTensor.createTensor(env, vBuf, longs(problem.value().shape())));
                if (hasMask) inputs.put("attn_mask", maskTensor(env, problem, folded, causalAttribute));
                int[] shape = problem.outputShape();
                outBuf = direct(outBuf, shape[0] * shape[1] * shape[2] * shape[3]);
                try (OnnxTensor y = OnnxTensor.createTensor(env, outBuf, longs(shape));
                     OrtSession.Result ignored = session.run(inputs, Map.of("Y", y))) {
                    copyOut(outBuf, out);
                }
            } finally {
                for (OnnxTensor t : inputs.values()) t.close();
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on " + problem + ": " + e.getMessage(), e);
        }
    }

    private OrtSession session(List<Attribute> attributes, boolean hasMask, boolean additive, int maskRank)
            throws OrtException {
        String key = attributes + " mask=" + hasMask + additive + maskRank;
        OrtSession session = sessions.get(key);
        if (session != null) return session;
        List<Value> inputs = new ArrayList<>(List.of(
                new Value("Q", OnnxModel.FLOAT, List.of("B", "Hq", "Sq", "Dqk")),
                new Value("K", OnnxModel.FLOAT, List.of("B", "Hkv", "Skv", "Dqk")),
                new Value("V", OnnxModel.FLOAT, List.of("B", "Hkv", "Skv", "Dv"))));
        if (hasMask) {
            List<String> dims = new ArrayList<>();
            for (int axis = 0; axis < maskRank; axis++) dims.add("m" + axis);
            inputs.add(new Value("attn_mask", additive ? OnnxModel.FLOAT : OnnxModel.BOOL, dims));
        }
        byte[] model = OnnxModel.oneNode("Attention", inputs,
                List.of(new Value("Y", OnnxModel.FLOAT, List.of("B", "Hq", "Sq", "Dv"))), attributes);
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        if (threads > 0) options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        session = Env.ENV.createSession(model, options);
        sessions.put(key, session);
        return session;
    }

    /**
     * attn_mask: the problem's own mask when nothing needs folding in; otherwise the full (B, Hq, Sq, Skv)
     * visibility of everything except a causal mask left to is_causal, with the additive bias where visible.
     */
    private OnnxTensor maskTensor(OrtEnvironment env, AttentionProblem problem, boolean folded,
                                  boolean causalAttribute) throws OrtException {
        Mask mask = problem.mask();
        if (!folded) {
            // ONNX Runtime 1.29 refuses an attn_mask broadcast along the key axis (attention_helper.h:159,
            // "inconsistent total_sequence_length"), though the spec allows it: repeat that axis, keep the others.
            int[] own = mask.shape();
            int keys = own[own.length - 1], skv = problem.spec().kvLength(), rows = 1;
            for (int axis = 0; axis < own.length - 1; axis++) rows *= own[axis];
            long[] shape = longs(own);
            shape[shape.length - 1] = skv;
            if (mask instanceof Mask.Bias b) {
                maskFloatBuf = direct(maskFloatBuf, rows * skv);
                for (int r = 0; r < rows; r++) for (int j = 0; j < skv; j++) {
                    maskFloatBuf.put(b.bias()[r * keys + (keys == 1 ? 0 : j)]);
                }
                maskFloatBuf.flip();
                return OnnxTensor.createTensor(env, maskFloatBuf, shape);
            }
            boolean[] keep = ((Mask.Keep) mask).keep();
            maskBoolBuf = directBytes(maskBoolBuf, rows * skv);
            for (int r = 0; r < rows; r++) for (int j = 0; j < skv; j++) {
                maskBoolBuf.put((byte) (keep[r * keys + (keys == 1 ? 0 : j)] ? 1 : 0));
            }
            maskBoolBuf.flip();
            return OnnxTensor.createTensor(env, maskBoolBuf, shape, OnnxJavaType.BOOL);
        }
        AttentionSpec spec = problem.spec();
        AttentionSpec rest = causalAttribute ? spec.toBuilder().noCausal().build() : spec;
        MaskView view = problem.with(rest, mask, problem.keyLengths()).maskView();
        int batch = spec.batch(), hq = spec.qHeads(), sq = spec.qLength(), skv = spec.kvLength();
        long[] shape = {batch, hq, sq, skv};
        int n = batch * hq * sq * skv;
        if (mask instanceof Mask.Bias) {
            maskFloatBuf = direct(maskFloatBuf, n);
            for (int b = 0; b < batch; b++) for (int h = 0; h < hq; h++) for (int i = 0; i < sq; i++) {
                for (int j = 0; j < skv; j++) {
                    maskFloatBuf.put(view.visible(b, h, i, j) ? view.bias(b, h, i, j) : Float.NEGATIVE_INFINITY);
                }
            }
            maskFloatBuf.flip();
            return OnnxTensor.createTensor(env, maskFloatBuf, shape);
        }
        maskBoolBuf = directBytes(maskBoolBuf, n);
        for (int b = 0; b < batch; b++) for (int h = 0; h < hq; h++) for (int i = 0; i < sq; i++) {
            for (int j = 0; j < skv; j++) maskBoolBuf.put((byte) (view.visible(b, h, i, j) ? 1 : 0));
        }
        maskBoolBuf.flip();
        return OnnxTensor.createTensor(env, maskBoolBuf, shape, OnnxJavaType.BOOL);
    }

    /** A direct float buffer with room for {@code n}, cleared and limited to {@code n} (reused when big enough). */
    private static FloatBuffer direct(FloatBuffer buf, int n) {
        if (buf == null || buf.capacity() < n) {
            buf = ByteBuffer.allocateDirect(Math.max(n, 16) * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        }
        buf.clear().limit(n);
        return buf;
    }

    private static ByteBuffer directBytes(ByteBuffer buf, int n) {
        if (buf == null || buf.capacity() < n) buf = ByteBuffer.allocateDirect(Math.max(n, 16));
        buf.clear().limit(n);
        return buf;
    }

    /** The tensor's elements in row-major (B, H, S, D) order in a reused direct buffer. */
    private static FloatBuffer dense(Tensor t, FloatBuffer buf) {
        int[] s = t.shape();
        buf = direct(buf, s[0] * s[1] * s[2] * s[3]);
        float[] data = t.data();
        for (int b = 0; b < s[0]; b++) for (int h = 0; h < s[1]; h++) for (int i = 0; i < s[2]; i++) {
            int row = t.offset() + b * t.stride(0) + h * t.stride(1) + i * t.stride(2), col = t.stride(3);
            for (int d = 0; d < s[3]; d++) buf.put(data[row + d * col]);
        }
        buf.flip();
        return buf;
    }

    private static void copyOut(FloatBuffer y, Tensor out) {
        int[] s = out.shape();
        float[] data = out.data();
        y.rewind();
        for (int b = 0; b < s[0]; b++) for (int h = 0; h < s[1]; h++) for (int i = 0; i < s[2]; i++) {
            int row = out.offset() + b * out.stride(0) + h * out.stride(1) + i * out.stride(2), col = out.stride(3);
            for (int d = 0; d < s[3]; d++) data[row + d * col] = y.get();
        }
    }

    private static long[] longs(int[] a) {
        long[] l = new long[a.length];
        for (int i = 0; i < a.length; i++) l[i] = a[i];
        return l;
    }
}
