package dev.attest.reports.golden;

import dev.attest.reference.ElementType;
import dev.attest.spi.TensorTypes;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Converts one of ONNX's fp16 {@code Attention} node tests ({@code onnx/backend/test/data/node/test_attention_*}, and
 * {@code FlexAttention} without its score or probability subgraphs, which is the same computation:
 * {@code model.onnx} and {@code test_data_set_0/input_N.pb, output_N.pb}) into a golden case in fp16: the arrays as
 * {@code <f2} bits exactly as ONNX stored them, Y as the expected output, ONNX's own tolerance. A test that the
 * golden format cannot say is refused with the reason ({@link NotExpressible}).
 *
 * <p>protobuf-java is not on Attest's class path, so the few fields used are read by hand (field numbers from
 * {@code onnx/onnx.proto}):
 * <pre>
 *   ModelProto     7 graph, 8 opset_import (OperatorSetIdProto: 1 domain, 2 version)
 *   GraphProto     1 node
 *   NodeProto      1 input, 2 output, 4 op_type, 7 domain, 5 attribute (AttributeProto: 1 name, 2 f, 3 i; a
 *                  graph attribute is named and refused)
 *   TensorProto    1 dims, 2 data_type (1 FLOAT, 7 INT64, 9 BOOL, 10 FLOAT16), 5 int32_data, 7 int64_data,
 *                  8 name, 9 raw_data (little-endian)
 * </pre>
 * Semantics (ONNX Attention, opsets 23 and 24, as {@code onnx/reference/ops/op_attention.py} computes it): K and V
 * are {@code past_key}/{@code past_value} followed by the new keys and values, which is what the golden k and v
 * hold; {@code nonpad_kv_seqlen} is the golden {@code keyLengths}; the causal mask's offset is {@code past} with a
 * past, {@code nonpad_kv_seqlen[b] - Sq} with key lengths, else 0, and must be what a golden {@code top_left},
 * {@code bottom_right} or {@code key_lengths} alignment shows the query (compared key by key, padding included).
 */
final class OnnxGoldenConverter {
    /** ONNX's node tests compare with {@code numpy.testing.assert_allclose(rtol=1e-3, atol=1e-7)}. */
    static final double ONNX_RTOL = 1e-3, ONNX_ATOL = 1e-7;
    private static final int FLOAT = 1, FLOAT16 = 10, BOOL = 9, INT64 = 7;
    private static final List<String> INPUTS = List.of("Q", "K", "V", "attn_mask", "past_key", "past_value",
            "nonpad_kv_seqlen");
    private static final Set<String> ATTRIBUTES = Set.of("is_causal", "scale", "softcap", "qk_matmul_output_mode",
            "softmax_precision", "q_num_heads", "kv_num_heads");

    private OnnxGoldenConverter() {
    }

    /** A test the golden format cannot express, and why. */
    static final class NotExpressible extends Exception {
        NotExpressible(String why) {
            super(why);
        }
    }

    /** A converted case: its options and its arrays. */
    record Converted(GoldenCase options, Map<String, Npy.Array> arrays) {
    }

    /** Converts test directory {@code dir}; {@code provenance} goes into the case's source. */
    static Converted convert(Path dir, String provenance) throws IOException, NotExpressible {
        String name = dir.getFileName().toString();
        Node node = Node.of(Files.readAllBytes(dir.resolve("model.onnx")));
        boolean flex = node.opType.equals("FlexAttention") && node.domain.equals("ai.onnx.preview");
        if (!flex && !(node.opType.equals("Attention") && node.domain.isEmpty())) {
            throw new NotExpressible(node.domain + "::" + node.opType + " is neither Attention nor FlexAttention");
        }
        for (String a : node.attributes.keySet()) {
            if (a.equals("score_mod") || a.equals("prob_mod") || a.equals("mask_mod")) {
                throw new NotExpressible("FlexAttention's " + a + " is an ONNX graph, which a golden case cannot carry");
            }
            if (!ATTRIBUTES.contains(a)) throw new NotExpressible("attribute " + a + " is unknown to the converter");
        }
        if (flex && node.inputs.size() != 3) throw new NotExpressible("FlexAttention with more than Q, K, V");
        if (node.attributes.containsKey("q_num_heads") || node.attributes.containsKey("kv_num_heads")) {
            throw new NotExpressible("3-D inputs (q_num_heads/kv_num_heads): golden cases are 4-D");
        }
        Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
        Path data = dir.resolve("test_data_set_0");
        for (int i = 0; Files.exists(data.resolve("input_" + i + ".pb")); i++) {
            OnnxTensor t = OnnxTensor.of(Files.readAllBytes(data.resolve("input_" + i + ".pb")));
            int slot = node.inputs.indexOf(t.name);
            if (slot < 0) throw new NotExpressible("input_" + i + ".pb is '" + t.name + "', not an input of the node");
            inputs.put(INPUTS.get(slot), t);
        }
        OnnxTensor y = OnnxTensor.of(Files.readAllBytes(data.resolve("output_0.pb")));
        List<String> unchecked = new ArrayList<>();
        for (int i = 1; i < node.outputs.size(); i++) {
            if (!node.outputs.get(i).isEmpty()) unchecked.add(node.outputs.get(i));
        }

        OnnxTensor q = require4dFloat(inputs.get("Q"), "Q", -1);
        int dataType = q.dataType;                   // float16 or float: every tensor of the case is stored in it
        OnnxTensor k = require4dFloat(inputs.get("K"), "K", dataType), v = require4dFloat(inputs.get("V"), "V", dataType);
        require4dFloat(y, "Y", dataType);
        OnnxTensor pastK = inputs.get("past_key"), pastV = inputs.get("past_value");
        int past = 0;
        if (pastK != null || pastV != null) {
            if (pastK == null || pastV == null) throw new NotExpressible("past_key without past_value or back");
            past = (int) require4dFloat(pastK, "past_key", dataType).dims[2];
            k = concatenate(pastK, k);      // ONNX: present_key = concat(past_key, K) on the sequence axis
            v = concatenate(require4dFloat(pastV, "past_value", dataType), v);
        }
        int b = (int) q.dims[0], hq = (int) q.dims[1], sq = (int) q.dims[2], dqk = (int) q.dims[3];
        int hkv = (int) k.dims[1], skv = (int) k.dims[2], dv = (int) v.dims[3];
        if (!Arrays.equals(y.dims, new long[]{b, hq, sq, dv})) {
            throw new NotExpressible("Y has shape " + Arrays.toString(y.dims) + ", not (B, Hq, Sq, Dv)");
        }

        int[] keyLengths = null;
        OnnxTensor nonpad = inputs.get("nonpad_kv_seqlen");
        if (nonpad != null) {
            if (nonpad.dataType != INT64) throw new NotExpressible("nonpad_kv_seqlen is not int64");
            keyLengths = Arrays.stream(nonpad.int64s()).mapToInt(Math::toIntExact).toArray();
        }
        String causal = null;
        if (node.attributes.getOrDefault("is_causal", 0.0) != 0) {
            causal = alignment(b, sq, skv, past, nonpad == null ? null : keyLengths, keyLengths);
        }

        Map<String, Npy.Array> arrays = new LinkedHashMap<>();
        arrays.put(GoldenCase.Q, array(q));
        arrays.put(GoldenCase.K, array(k));
        arrays.put(GoldenCase.V, array(v));
        ElementType maskType = null;
        OnnxTensor mask = inputs.get("attn_mask");
        if (mask != null) {
            if (mask.dims[mask.dims.length - 1] > skv) {
                throw new NotExpressible("attn_mask covers " + mask.dims[mask.dims.length - 1] + " keys, more than the "
                        + skv + " there are");
            }
            mask = paddedToKeys(mask, skv);
            int[] shape = Arrays.stream(mask.dims).mapToInt(Math::toIntExact).toArray();
            if (mask.dataType == BOOL) {
                float[] keep = new float[mask.raw.length];
                for (int i = 0; i < keep.length; i++) keep[i] = mask.raw[i] != 0 ? 1 : 0;
                arrays.put(GoldenCase.MASK, new Npy.Array(shape, keep, Npy.Dtype.BOOL));
            } else if (mask.dataType == dataType) {
                arrays.put(GoldenCase.MASK, array(mask));
                maskType = dataType == FLOAT16 ? ElementType.FP16 : null;      // null: an fp32 mask
            } else {
                throw new NotExpressible("attn_mask has data type " + mask.dataType + ", not bool or the inputs' "
                        + dataType);
            }
        }
        arrays.put(GoldenCase.OUT, array(y));

        Double scale = node.attributes.containsKey("scale") ? node.attributes.get("scale") : null;
        Double softcap = node.attributes.getOrDefault("softcap", 0.0) != 0 ? node.attributes.get("softcap") : null;
        String source = "ONNX node test " + name + " (" + provenance + ", Apache-2.0), " + (node.domain.isEmpty()
                ? "" : node.domain + " ") + node.opType + " opset " + node.opset + ": inputs and Y of onnx.reference,"
                + " as stored" + (past > 0 ? "; k and v are past_key/"
                + "past_value followed by K/V" : "") + (unchecked.isEmpty() ? "" : "; not checked: " + String.join(
                ", ", unchecked) + " (no golden counterpart)");
        GoldenTypes types = dataType == FLOAT16 ? new GoldenTypes(TensorTypes.uniform(ElementType.FP16), maskType,
                Map.of()) : GoldenTypes.FP32;
        GoldenCase c = new GoldenCase(name, b, hq, hkv, sq, skv, dqk, dv, scale, softcap, causal, "BHSD", keyLengths,
                ONNX_ATOL, ONNX_RTOL, source, types);
        return new Converted(c, arrays);
    }

    /**
     * The golden alignment whose visible keys are ONNX's for every batch, query and key: ONNX shows query i key j
     * when {@code j <= i + offset(b)} (and {@code j < nonpad[b]}); a golden case when {@code j <= i + 0} (top_left) or
     * {@code j <= i + Skv - Sq} (bottom_right), and {@code j < keyLengths[b]}.
     */
    private static String alignment(int batch, int sq, int skv, int past, int[] nonpad, int[] keyLengths)
            throws NotExpressible {
        for (String alignment : List.of("top_left", "bottom_right", "key_lengths")) {
            boolean same = true;
            for (int b = 0; b < batch && same; b++) {
                int golden = switch (alignment) {
                    case "top_left" -> 0;
                    case "key_lengths" -> (keyLengths == null ? skv : keyLengths[b]) - sq;
                    default -> skv - sq;
                };
                int onnx = past > 0 ? past : nonpad != null ? nonpad[b] - sq : 0;
                int valid = keyLengths == null ? skv : keyLengths[b];
                for (int i = 0; i < sq && same; i++) {
                    for (int j = 0; j < valid && same; j++) same = (j <= i + onnx) == (j <= i + golden);
                }
            }
            if (same) return alignment;
        }
        throw new NotExpressible("its causal offsets (past " + past + ", key lengths " + Arrays.toString(nonpad)
                + ") are neither top-left, bottom-right nor bottom-right to each key length for every batch");
    }

    /** {@code t}, 4-D float16 or float (of {@code dataType} when that is not -1). */
    private static OnnxTensor require4dFloat(OnnxTensor t, String what, int dataType) throws NotExpressible {
        if (t == null) throw new NotExpressible("no " + what);
        if (t.dataType != FLOAT16 && t.dataType != FLOAT) {
            throw new NotExpressible(what + " has data type " + t.dataType + ", not float16 or float");
        }
        if (dataType != -1 && t.dataType != dataType) {
            throw new NotExpressible(what + " has data type " + t.dataType + " but Q has " + dataType);
        }
        if (t.dims.length != 4) throw new NotExpressible(what + " is " + t.dims.length + "-D, not 4-D");
        return t;
    }

    /** {@code a} then {@code b} along axis 2 (row-major (B, H, S, D), raw little-endian bytes). */
    private static OnnxTensor concatenate(OnnxTensor a, OnnxTensor b) throws NotExpressible {
        if (a.dims[0] != b.dims[0] || a.dims[1] != b.dims[1] || a.dims[3] != b.dims[3]) {
            throw new NotExpressible("past and new keys/values disagree in shape");
        }
        int rowsA = (int) a.dims[2], rowsB = (int) b.dims[2];
        int row = (int) a.dims[3] * (a.dataType == FLOAT16 ? 2 : 4);
        byte[] raw = new byte[a.raw.length + b.raw.length];
        int at = 0;
        for (int bh = 0; bh < a.dims[0] * a.dims[1]; bh++) {
            System.arraycopy(a.raw, bh * rowsA * row, raw, at, rowsA * row);
            at += rowsA * row;
            System.arraycopy(b.raw, bh * rowsB * row, raw, at, rowsB * row);
            at += rowsB * row;
        }
        return new OnnxTensor(a.name, a.dataType, new long[]{a.dims[0], a.dims[1], rowsA + rowsB, a.dims[3]}, raw);
    }

    /**
     * The mask with its key axis padded to {@code keys} as ONNX pads a shorter one: false for a boolean mask, -inf
     * for a float one (onnx/reference/ops/op_attention.py), so the keys past it are hidden.
     */
    private static OnnxTensor paddedToKeys(OnnxTensor mask, int keys) {
        int rank = mask.dims.length, own = (int) mask.dims[rank - 1];
        if (own == keys) return mask;
        int size = mask.dataType == BOOL ? 1 : mask.dataType == FLOAT16 ? 2 : 4;
        byte[] hidden = mask.dataType == BOOL ? new byte[]{0} : mask.dataType == FLOAT16 ? new byte[]{0x00, (byte) 0xfc}
                : new byte[]{0, 0, (byte) 0x80, (byte) 0xff};                  // little-endian -inf
        int rows = mask.raw.length / (own * size);
        byte[] raw = new byte[rows * keys * size];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(mask.raw, r * own * size, raw, r * keys * size, own * size);
            for (int j = own; j < keys; j++) System.arraycopy(hidden, 0, raw, (r * keys + j) * size, size);
        }
        long[] dims = mask.dims.clone();
        dims[rank - 1] = keys;
        return new OnnxTensor(mask.name, mask.dataType, dims, raw);
    }

    /** A float16 tensor as fp16 bits, a float one as float32 values: as ONNX stored it. */
    private static Npy.Array array(OnnxTensor t) {
        int[] shape = Arrays.stream(t.dims).mapToInt(Math::toIntExact).toArray();
        if (t.dataType == FLOAT) {
            float[] values = new float[t.raw.length / 4];
            ByteBuffer.wrap(t.raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            return new Npy.Array(shape, values);
        }
        short[] bits = new short[t.raw.length / 2];
        ByteBuffer.wrap(t.raw).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(bits);
        return Npy.Array.ofBits(shape, bits, Npy.Dtype.FLOAT16);
    }

    /** The case directories under {@code root} (each with a model.onnx), sorted. */
    static List<Path> cases(Path root) throws IOException {
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("model.onnx"))).sorted().toList();
        }
    }

    /** The one node of a node test's model, with its opset. */
    record Node(String opType, String domain, List<String> inputs, List<String> outputs,
                        Map<String, Double> attributes, long opset) {
        static Node of(byte[] model) throws NotExpressible {
            byte[] graph = null;
            Map<String, Long> opsets = new LinkedHashMap<>();
            for (Proto.Field f : Proto.fields(model)) {
                if (f.number() == 7) graph = f.bytes();
                if (f.number() == 8) {
                    String domain = "";
                    long version = -1;
                    for (Proto.Field g : Proto.fields(f.bytes())) {
                        if (g.number() == 1) domain = g.string();
                        if (g.number() == 2) version = g.value();
                    }
                    opsets.put(domain, version);
                }
            }
            List<byte[]> nodes = new ArrayList<>();
            for (Proto.Field f : Proto.fields(graph)) if (f.number() == 1) nodes.add(f.bytes());
            if (nodes.size() != 1) throw new NotExpressible("the model has " + nodes.size() + " nodes, not one");
            String opType = "", domain = "";
            List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
            Map<String, Double> attributes = new LinkedHashMap<>();
            for (Proto.Field f : Proto.fields(nodes.get(0))) {
                switch (f.number()) {
                    case 1 -> inputs.add(f.string());
                    case 2 -> outputs.add(f.string());
                    case 4 -> opType = f.string();
                    case 7 -> domain = f.string();
                    case 5 -> {
                        String name = null;
                        double value = 0;
                        for (Proto.Field a : Proto.fields(f.bytes())) {
                            if (a.number() == 1) name = a.string();
                            if (a.number() == 2) value = Float.intBitsToFloat((int) a.value());
                            if (a.number() == 3) value = a.value();
                        }
                        attributes.put(name, value);
                    }
                    default -> {
                    }
                }
            }
            return new Node(opType, domain, inputs, outputs, attributes, opsets.getOrDefault(domain, -1L));
        }
    }

    /** A TensorProto: name, data type, dims and its elements as little-endian bytes. */
    record OnnxTensor(String name, int dataType, long[] dims, byte[] raw) {
        static OnnxTensor of(byte[] proto) {
            String name = "";
            int dataType = 0;
            List<Long> dims = new ArrayList<>(), ints = new ArrayList<>();
            byte[] raw = null;
            for (Proto.Field f : Proto.fields(proto)) {
                switch (f.number()) {
                    case 1 -> dims.addAll(f.varints());
                    case 2 -> dataType = (int) f.value();
                    case 5, 7 -> ints.addAll(f.varints());     // int32_data (fp16 bits, bool) or int64_data
                    case 8 -> name = f.string();
                    case 9 -> raw = f.bytes();
                    default -> {
                    }
                }
            }
            if (raw == null) {           // the typed fields instead of raw_data: re-encode as raw little-endian
                if (dataType == FLOAT) throw new IllegalArgumentException(name + ": float_data without raw_data");
                int size = dataType == INT64 ? 8 : dataType == FLOAT16 ? 2 : 1;
                ByteBuffer buf = ByteBuffer.allocate(ints.size() * size).order(ByteOrder.LITTLE_ENDIAN);
                for (long x : ints) {
                    if (size == 8) buf.putLong(x);
                    else if (size == 2) buf.putShort((short) x);
                    else buf.put((byte) x);
                }
                raw = buf.array();
            }
            return new OnnxTensor(name, dataType, dims.stream().mapToLong(Long::longValue).toArray(), raw);
        }

        long[] int64s() {
            long[] out = new long[raw.length / 8];
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
            return out;
        }
    }

    /** The protobuf wire format, as far as ONNX's files use it: varints, length-delimited fields, fixed32/64. */
    private static final class Proto {
        record Field(int number, int wireType, long value, byte[] bytes) {
            String string() {
                return new String(bytes, StandardCharsets.UTF_8);
            }

            /** A repeated integer field, packed (one length-delimited field) or not (one varint). */
            List<Long> varints() {
                if (wireType == 0) return List.of(value);
                List<Long> out = new ArrayList<>();
                int[] at = {0};
                while (at[0] < bytes.length) out.add(varint(bytes, at));
                return out;
            }
        }

        static List<Field> fields(byte[] message) {
            List<Field> fields = new ArrayList<>();
            int[] at = {0};
            while (at[0] < message.length) {
                long key = varint(message, at);
                int number = (int) (key >>> 3), wire = (int) (key & 7);
                switch (wire) {
                    case 0 -> fields.add(new Field(number, wire, varint(message, at), null));
                    case 1 -> fields.add(new Field(number, wire, little(message, at, 8), null));
                    case 5 -> fields.add(new Field(number, wire, little(message, at, 4), null));
                    case 2 -> {
                        int length = Math.toIntExact(varint(message, at));
                        fields.add(new Field(number, wire, 0, Arrays.copyOfRange(message, at[0], at[0] + length)));
                        at[0] += length;
                    }
                    default -> throw new IllegalArgumentException("protobuf wire type " + wire + " at " + at[0]);
                }
            }
            return fields;
        }

        private static long varint(byte[] b, int[] at) {
            long value = 0;
            for (int shift = 0; ; shift += 7) {
                byte next = b[at[0]++];
                value |= (long) (next & 0x7f) << shift;
                if (next >= 0) return value;
            }
        }

        private static long little(byte[] b, int[] at, int size) {
            long value = 0;
            for (int i = 0; i < size; i++) value |= (long) (b[at[0]++] & 0xff) << (8 * i);
            return value;
        }
    }
}
