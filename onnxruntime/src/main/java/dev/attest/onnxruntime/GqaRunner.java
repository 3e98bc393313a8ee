package dev.attest.onnxruntime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.attest.onnxruntime.OnnxModel.Attribute;

/**
 * Runs one {@code com.microsoft.GroupQueryAttention} call ({@link OnnxModel#groupQueryAttention}): the sessions, one
 * per distinct attribute set (least recently used closed past {@link #MAX_SESSIONS}), and the direct buffers the
 * inputs are staged in and the outputs pinned to, one per slot, reused while big enough. A caller fills the input
 * buffers element by element ({@link #put}) in the operator's layouts and reads the outputs back ({@link #copy}):
 *
 * <pre>
 *   query (B, S, Hq, H)    key, value (B, S, Hkv, H)       BSNH, the head dim H padded with zeros to a multiple of 8
 *   past_key, past_value   (B, Hkv, P, H)                  BNSH; only with {@link Call#past}
 *   seqlens_k (B) int32    total_sequence_length () int32  a row's total length - 1; the batch's largest total
 *   attention_bias         (B, Hq, S, total)               additive, absolute key positions; only with a bias
 *   output (B, S, Hq, H)   present_key, present_value (B, Hkv, max(P, total), H)
 * </pre>
 */
final class GqaRunner {
    /** Sessions kept open at most; each is one small one-node model. */
    static final int MAX_SESSIONS = 48;

    /** The attributes and variant of one model: everything a session is specialised to. */
    record Call(ElementType type, int qHeads, int kvHeads, float scale, float softcap, int window, boolean past,
                boolean bias) {
        List<Attribute> attributes() {
            List<Attribute> a = new ArrayList<>(List.of(Attribute.ofInt("num_heads", qHeads),
                    Attribute.ofInt("kv_num_heads", kvHeads), Attribute.ofFloat("scale", scale)));
            if (softcap > 0) a.add(Attribute.ofFloat("softcap", softcap));
            if (window >= 0) a.add(Attribute.ofInt("local_window_size", window));
            return a;
        }
    }

    /** The buffers of the operator's inputs and outputs. */
    enum Slot { QUERY, KEY, VALUE, PAST_KEY, PAST_VALUE, BIAS, SEQLENS, TOTAL, OUTPUT, PRESENT_KEY, PRESENT_VALUE }

    private final OrtEnvironment env;
    private final int threads;
    private final Map<Call, OrtSession> sessions = new LinkedHashMap<>(16, 0.75f, true);
    private final DirectBuffers<Slot> buffers = new DirectBuffers<>();
    private static final byte[] ZEROS = new byte[8192];

    GqaRunner(OrtEnvironment env, int threads) {
        this.env = env;
        this.threads = threads;
    }

    /** The element size in bytes of a declared type. */
    static int bytes(ElementType type) {
        return switch (type) {
            case FP32 -> 4;
            case FP16 -> 2;
            default -> throw new IllegalArgumentException("GroupQueryAttention takes fp32 or fp16, not " + type);
        };
    }

    /** The head dim the operator is given: {@code d} padded with zeros to a multiple of 8 (its CPU requirement). */
    static int paddedHeadDim(int d) {
        return (d + 7) / 8 * 8;
    }

    /** The zeroed buffer of an input slot for {@code elements} elements of {@code type}. */
    ByteBuffer input(Slot slot, ElementType type, long elements) {
        ByteBuffer buf = buffers.get(slot, Math.toIntExact(elements * bytes(type)));
        for (int at = 0; at < buf.limit(); at += ZEROS.length) {
            buf.put(at, ZEROS, 0, Math.min(ZEROS.length, buf.limit() - at));
        }
        return buf;
    }

    /** Writes element {@code flat} of {@code t} (its stored bits) as element {@code at} of {@code buf}. */
    static void put(ByteBuffer buf, int at, Tensor t, int flat) {
        switch (t.type()) {
            case FP32 -> buf.putFloat(at * 4, t.data()[flat]);
            case FP16 -> buf.putShort(at * 2, t.bits16()[flat]);
            default -> throw new IllegalArgumentException("GroupQueryAttention takes fp32 or fp16, not " + t.type());
        }
    }

    /** Writes a float as element {@code at} of a buffer of {@code type} (fp16: rounded to nearest, -inf kept). */
    static void putValue(ByteBuffer buf, int at, ElementType type, float value) {
        if (type == ElementType.FP32) buf.putFloat(at * 4, value);
        else buf.putShort(at * 2, (short) ElementType.FP16.encode(value));
    }

    /** Copies element {@code at} of {@code buf} (the bits ONNX Runtime wrote) into element {@code flat} of t. */
    static void copy(ByteBuffer buf, int at, Tensor t, int flat) {
        switch (t.type()) {
            case FP32 -> t.data()[flat] = buf.getFloat(at * 4);
            case FP16 -> t.bits16()[flat] = buf.getShort(at * 2);
            default -> throw new IllegalArgumentException("GroupQueryAttention writes fp32 or fp16, not " + t.type());
        }
    }

    /** The outputs of the last {@link #run}, valid until the next: BSNH output, BNSH present K and V. */
    record Outputs(ByteBuffer output, ByteBuffer presentKey, ByteBuffer presentValue, int presentLength) {
    }

    /**
     * Runs {@code call} on {@code batch} rows of {@code s} new tokens whose inputs are staged in the slots: each row
     * b holds {@code past[b]} past keys ({@code pastLength} rows in the buffer) and attends {@code past[b] + s} keys.
     */
    Outputs run(Call call, int batch, int s, int headDim, int pastLength, int[] past) throws OrtException {
        ElementType type = call.type();
        OnnxJavaType javaType = type == ElementType.FP32 ? OnnxJavaType.FLOAT : OnnxJavaType.FLOAT16;
        int total = 0;
        ByteBuffer seqlens = buffers.get(Slot.SEQLENS, 4 * batch);
        for (int b = 0; b < batch; b++) {
            seqlens.putInt(4 * b, past[b] + s - 1);
            total = Math.max(total, past[b] + s);
        }
        ByteBuffer totalBuf = buffers.get(Slot.TOTAL, 4);
        totalBuf.putInt(0, total);
        int present = Math.max(pastLength, total);
        long qWidth = (long) call.qHeads() * headDim, kvWidth = (long) call.kvHeads() * headDim;
        ByteBuffer output = buffers.get(Slot.OUTPUT, Math.toIntExact(batch * s * qWidth * bytes(type)));
        int presentBytes = Math.toIntExact((long) batch * call.kvHeads() * present * headDim * bytes(type));
        ByteBuffer presentKey = buffers.get(Slot.PRESENT_KEY, presentBytes);
        ByteBuffer presentValue = buffers.get(Slot.PRESENT_VALUE, presentBytes);
        OrtSession session = session(call);
        Map<String, OnnxTensor> inputs = new HashMap<>();
        Map<String, OnnxTensor> outputs = new HashMap<>();
        try {
            inputs.put("query", tensor(Slot.QUERY, javaType, batch, s, qWidth));
            inputs.put("key", tensor(Slot.KEY, javaType, batch, s, kvWidth));
            inputs.put("value", tensor(Slot.VALUE, javaType, batch, s, kvWidth));
            if (call.past()) {
                inputs.put("past_key", tensor(Slot.PAST_KEY, javaType, batch, call.kvHeads(), pastLength, headDim));
                inputs.put("past_value", tensor(Slot.PAST_VALUE, javaType, batch, call.kvHeads(), pastLength,
                        headDim));
            }
            inputs.put("seqlens_k", OnnxTensor.createTensor(env, seqlens, new long[]{batch}, OnnxJavaType.INT32));
            inputs.put("total_sequence_length", OnnxTensor.createTensor(env, totalBuf, new long[]{},
                    OnnxJavaType.INT32));
            if (call.bias()) inputs.put("attention_bias", tensor(Slot.BIAS, javaType, batch, call.qHeads(), s, total));
            outputs.put("output", tensor(Slot.OUTPUT, javaType, batch, s, qWidth));
            outputs.put("present_key", tensor(Slot.PRESENT_KEY, javaType, batch, call.kvHeads(), present, headDim));
            outputs.put("present_value", tensor(Slot.PRESENT_VALUE, javaType, batch, call.kvHeads(), present,
                    headDim));
            try (OrtSession.Result ignored = session.run(inputs, outputs)) {
                return new Outputs(output, presentKey, presentValue, present);
            }
        } finally {
            for (OnnxTensor t : inputs.values()) t.close();
            for (OnnxTensor t : outputs.values()) t.close();
        }
    }

    /** An ORT tensor over the slot's buffer (in place: direct, native order), of {@code shape}. */
    private OnnxTensor tensor(Slot slot, OnnxJavaType type, long... shape) throws OrtException {
        ByteBuffer buf = buffers.last(slot);
        long n = 1;
        for (long d : shape) n *= d;
        int size = type == OnnxJavaType.FLOAT ? 4 : 2;
        if (buf.limit() != n * size) {
            throw new IllegalStateException("slot " + slot + " holds " + buf.limit() + " bytes, not " + n * size);
        }
        return OnnxTensor.createTensor(env, buf, shape, type);
    }

    private OrtSession session(Call call) throws OrtException {
        OrtSession session = sessions.get(call);
        if (session != null) return session;
        int elemType = call.type() == ElementType.FP32 ? OnnxModel.FLOAT : OnnxModel.FLOAT16;
        byte[] model = OnnxModel.groupQueryAttention(elemType, call.past(), call.bias(), call.attributes());
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        if (threads > 0) options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        session = env.createSession(model, options);
        if (sessions.size() >= MAX_SESSIONS) {
            var eldest = sessions.entrySet().iterator().next();
            sessions.remove(eldest.getKey());
            eldest.getValue().close();
        }
        sessions.put(call, session);
        return session;
    }

}
