package dev.attest.onnxruntime;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes the one-node ONNX models the backends run: a {@code ModelProto} whose graph holds a single {@code Attention}
 * node (opset 23), or a single {@code com.microsoft.GroupQueryAttention} node ({@link #groupQueryAttention}). ONNX
 * Runtime's Java API has no graph builder and the {@code onnx} Python package is not available here, so this is a
 * minimal protobuf encoder for exactly the fields used (field numbers from {@code onnx/onnx.proto});
 * {@code OnnxModelTest} and {@code GqaModelTest} pin its bytes and ONNX Runtime loading the result is the end-to-end
 * check.
 *
 * <pre>
 *   ModelProto        1 ir_version, 2 producer_name, 7 graph, 8 opset_import
 *   OperatorSetId     1 domain, 2 version
 *   GraphProto        1 node, 2 name, 11 input, 12 output
 *   NodeProto         1 input, 2 output, 3 name, 4 op_type, 5 attribute, 7 domain ("" inputs: skipped optional slots)
 *   AttributeProto    1 name, 2 f, 3 i, 20 type (FLOAT = 1, INT = 2)
 *   ValueInfoProto    1 name, 2 type;  TypeProto 1 tensor_type;  TypeProto.Tensor 1 elem_type, 2 shape
 *   TensorShapeProto  1 dim (none: a scalar);  Dimension 1 dim_value, 2 dim_param
 * </pre>
 */
public final class OnnxModel {
    /** IR version 11 (ONNX 1.18), the one that goes with opset 23. */
    static final long IR_VERSION = 11;
    static final long OPSET = 23;
    /** TensorProto.DataType values. */
    static final int FLOAT = 1, BOOL = 9;
    /** int32, for GroupQueryAttention's seqlens_k and total_sequence_length. */
    static final int INT32 = 6;
    /** More TensorProto.DataType values, for {@link #attention} (the fp16 backend and the element-type probes). */
    static final int FLOAT16 = 10, DOUBLE = 11, BFLOAT16 = 16, FLOAT8E4M3FN = 17, FLOAT8E5M2 = 19;

    private OnnxModel() {
    }

    /** An attribute of the node: an int or a float. */
    public record Attribute(String name, boolean isFloat, long i, float f) {
        public static Attribute ofInt(String name, long value) {
            return new Attribute(name, false, value, 0f);
        }

        public static Attribute ofFloat(String name, float value) {
            return new Attribute(name, true, 0, value);
        }
    }

    /** A graph input or output: name, element type and symbolic dimensions. */
    public record Value(String name, int elemType, List<String> dims) {
    }

    /** The serialized model: one {@code opType} node from {@code inputs} to {@code outputs}. */
    public static byte[] oneNode(String opType, List<Value> inputs, List<Value> outputs, List<Attribute> attributes) {
        return oneNode(opType, inputs, outputs, attributes, OPSET);
    }

    /** As {@link #oneNode(String, List, List, List)} but importing the default domain at {@code opset}. */
    public static byte[] oneNode(String opType, List<Value> inputs, List<Value> outputs, List<Attribute> attributes,
                                 long opset) {
        return oneNode("", opType, names(inputs), names(outputs), inputs, outputs, attributes,
                List.of(new OpsetId("", opset)));
    }

    /** An {@code opset_import}: a domain ("" for the default ONNX domain) and its version. */
    public record OpsetId(String domain, long version) {
    }

    /**
     * The general one-node model: an {@code opType} node of {@code domain} ("" for the default domain: field 7 is
     * then not written) whose positional inputs and outputs are {@code nodeInputs} and {@code nodeOutputs}, where
     * {@code ""} marks a skipped optional slot; the graph declares only the real values, {@code graphInputs} and
     * {@code graphOutputs}; the model imports {@code opsets} in order.
     */
    public static byte[] oneNode(String domain, String opType, List<String> nodeInputs, List<String> nodeOutputs,
                                 List<Value> graphInputs, List<Value> graphOutputs, List<Attribute> attributes,
                                 List<OpsetId> opsets) {
        Writer node = new Writer();
        for (String in : nodeInputs) node.string(1, in);
        for (String out : nodeOutputs) node.string(2, out);
        node.string(3, opType.toLowerCase(java.util.Locale.ROOT));
        node.string(4, opType);
        for (Attribute a : attributes) {
            Writer attr = new Writer();
            attr.string(1, a.name());
            if (a.isFloat()) attr.fixed32(2, Float.floatToRawIntBits(a.f()));
            else attr.varint(3, a.i());
            attr.varint(20, a.isFloat() ? 1 : 2);
            node.message(5, attr);
        }
        if (!domain.isEmpty()) node.string(7, domain);
        Writer graph = new Writer();
        graph.message(1, node);
        graph.string(2, "attest");
        for (Value in : graphInputs) graph.message(11, valueInfo(in));
        for (Value out : graphOutputs) graph.message(12, valueInfo(out));
        Writer model = new Writer();
        model.varint(1, IR_VERSION);
        model.string(2, "attest");
        model.message(7, graph);
        for (OpsetId id : opsets) {
            Writer opsetId = new Writer();
            opsetId.string(1, id.domain());
            opsetId.varint(2, id.version());
            model.message(8, opsetId);
        }
        return model.bytes();
    }

    private static List<String> names(List<Value> values) {
        return values.stream().map(Value::name).toList();
    }

    /** The contrib domain of {@code GroupQueryAttention}, imported at version 1 (version 2 is refused). */
    static final String MICROSOFT = "com.microsoft";

    /**
     * A one-node {@code com.microsoft.GroupQueryAttention} model (ONNX Runtime contrib op, since version 1) over 3-D
     * BSNH activations of {@code elemType}: query (B, S, Hq*H), key and value (B, S, Hkv*H); past_key and
     * past_value (B, Hkv, P, H) when {@code past} (else their slots are "" and the graph does not declare them);
     * seqlens_k (B) and a scalar total_sequence_length, int32; attention_bias (B, Hq, S, T) when {@code bias}.
     * Outputs: output and present_key, present_value (always: with past and without present outputs the 1.29 CPU
     * kernel reads past the new-key buffer, docs/notes/ort-group-query-attention.md section 2.6). Every dimension is
     * symbolic, so one session serves every shape with the same attributes.
     */
    public static byte[] groupQueryAttention(int elemType, boolean past, boolean bias, List<Attribute> attributes) {
        List<Value> inputs = new java.util.ArrayList<>(List.of(
                new Value("query", elemType, List.of("B", "S", "Dq")),
                new Value("key", elemType, List.of("B", "S", "Dkv")),
                new Value("value", elemType, List.of("B", "S", "Dkv"))));
        List<String> slots = new java.util.ArrayList<>(List.of("query", "key", "value"));
        if (past) {
            inputs.add(new Value("past_key", elemType, List.of("B", "Hkv", "P", "H")));
            inputs.add(new Value("past_value", elemType, List.of("B", "Hkv", "P", "H")));
            slots.addAll(List.of("past_key", "past_value"));
        } else {
            slots.addAll(List.of("", ""));
        }
        inputs.add(new Value("seqlens_k", INT32, List.of("B")));
        inputs.add(new Value("total_sequence_length", INT32, List.of()));
        slots.addAll(List.of("seqlens_k", "total_sequence_length"));
        if (bias) {
            inputs.add(new Value("attention_bias", elemType, List.of("B", "Hq", "S", "T")));
            slots.addAll(List.of("", "", "", "attention_bias"));     // cos_cache, sin_cache, position_ids skipped
        }
        List<Value> outputs = List.of(new Value("output", elemType, List.of("B", "S", "Dq")),
                new Value("present_key", elemType, List.of("B", "Hkv", "T", "H")),
                new Value("present_value", elemType, List.of("B", "Hkv", "T", "H")));
        return oneNode(MICROSOFT, "GroupQueryAttention", slots, names(outputs), inputs, outputs, attributes,
                List.of(new OpsetId("", OPSET), new OpsetId(MICROSOFT, 1)));
    }

    /**
     * A 4-D (B, H, S, D) {@code Attention} model with chosen element types: Q, K and V of {@code qType},
     * {@code kType}, {@code vType}; Y of {@code qType} (T1 in the schema); an attn_mask of {@code maskType} and rank
     * {@code maskRank} when {@code maskType != 0}. The backend's model, and the probes of which types ONNX Runtime
     * accepts.
     */
    public static byte[] attention(long opset, int qType, int kType, int vType, int maskType, int maskRank,
                                   List<Attribute> attributes) {
        List<Value> inputs = new java.util.ArrayList<>(List.of(
                new Value("Q", qType, List.of("B", "Hq", "Sq", "Dqk")),
                new Value("K", kType, List.of("B", "Hkv", "Skv", "Dqk")),
                new Value("V", vType, List.of("B", "Hkv", "Skv", "Dv"))));
        if (maskType != 0) {
            List<String> dims = new java.util.ArrayList<>();
            for (int axis = 0; axis < maskRank; axis++) dims.add("m" + axis);
            inputs.add(new Value("attn_mask", maskType, dims));
        }
        return oneNode("Attention", inputs, List.of(new Value("Y", qType, List.of("B", "Hq", "Sq", "Dv"))),
                attributes, opset);
    }

    /**
     * A 4-D {@code Attention} model with past K/V (opset 23): Q, K, V, an attn_mask of {@code maskType} and rank
     * {@code maskRank} when {@code maskType != 0} (its slot "" otherwise), past_key and past_value (B, Hkv, P, D);
     * outputs Y and present_key, present_value (B, Hkv, P + Skv, D). All of {@code elemType}; dims symbolic.
     */
    public static byte[] attentionWithPast(int elemType, int maskType, int maskRank, List<Attribute> attributes) {
        List<Value> inputs = new java.util.ArrayList<>(List.of(
                new Value("Q", elemType, List.of("B", "Hq", "Sq", "Dqk")),
                new Value("K", elemType, List.of("B", "Hkv", "Skv", "Dqk")),
                new Value("V", elemType, List.of("B", "Hkv", "Skv", "Dv"))));
        List<String> slots = new java.util.ArrayList<>(List.of("Q", "K", "V"));
        if (maskType != 0) {
            List<String> dims = new java.util.ArrayList<>();
            for (int axis = 0; axis < maskRank; axis++) dims.add("m" + axis);
            inputs.add(new Value("attn_mask", maskType, dims));
            slots.add("attn_mask");
        } else {
            slots.add("");
        }
        inputs.add(new Value("past_key", elemType, List.of("B", "Hkv", "P", "Dqk")));
        inputs.add(new Value("past_value", elemType, List.of("B", "Hkv", "P", "Dv")));
        slots.addAll(List.of("past_key", "past_value"));
        List<Value> outputs = List.of(new Value("Y", elemType, List.of("B", "Hq", "Sq", "Dv")),
                new Value("present_key", elemType, List.of("B", "Hkv", "T", "Dqk")),
                new Value("present_value", elemType, List.of("B", "Hkv", "T", "Dv")));
        return oneNode("", "Attention", slots, names(outputs), inputs, outputs, attributes,
                List.of(new OpsetId("", OPSET)));
    }

    private static Writer valueInfo(Value v) {
        Writer shape = new Writer();
        for (String dim : v.dims()) {
            Writer d = new Writer();
            d.string(2, dim);
            shape.message(1, d);
        }
        Writer tensor = new Writer();
        tensor.varint(1, v.elemType());
        tensor.message(2, shape);
        Writer type = new Writer();
        type.message(1, tensor);
        Writer info = new Writer();
        info.string(1, v.name());
        info.message(2, type);
        return info;
    }

    /** Protobuf wire format: tag = field << 3 | wire type; varint (0), 32-bit (5), length-delimited (2). */
    static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void varint(int field, long value) {
            rawVarint((long) field << 3);
            rawVarint(value);
        }

        void fixed32(int field, int bits) {
            rawVarint((long) field << 3 | 5);
            for (int k = 0; k < 4; k++) out.write(bits >>> (8 * k) & 0xff);
        }

        void string(int field, String s) {
            bytes(field, s.getBytes(StandardCharsets.UTF_8));
        }

        void message(int field, Writer m) {
            bytes(field, m.bytes());
        }

        private void bytes(int field, byte[] b) {
            rawVarint((long) field << 3 | 2);
            rawVarint(b.length);
            out.writeBytes(b);
        }

        void rawVarint(long v) {
            while ((v & ~0x7fL) != 0) {
                out.write((int) (v & 0x7f) | 0x80);
                v >>>= 7;
            }
            out.write((int) v);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
