package dev.attest.onnxruntime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.attest.reference.ElementType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The encoder's contrib-domain node byte for byte (NodeProto.domain, "" for a skipped optional input, a second
 * opset_import, a scalar input), and ONNX Runtime loading and running the GroupQueryAttention model it writes.
 */
class GqaModelTest {

    @Test
    void aContribDomainNodeWithASkippedInputIsEncodedFieldByField() {
        byte[] model = OnnxModel.oneNode("d", "Op", List.of("x", ""), List.of("y"),
                List.of(new OnnxModel.Value("x", OnnxModel.FLOAT, List.of())),
                List.of(new OnnxModel.Value("y", OnnxModel.FLOAT, List.of())), List.of(),
                List.of(new OnnxModel.OpsetId("", 23), new OnnxModel.OpsetId("d", 1)));
        String node = "0a0178" + "0a00" + "120179" + "1a026f70" + "22024f70" + "3a0164";   // x, "", y, op, Op, domain d
        String scalar = "12060a0408011200";    // type { tensor_type { elem_type 1 (FLOAT), shape {} } }: a scalar
        String graph = "0a13" + node + "1206617474657374" + "5a0b0a0178" + scalar + "620b0a0179" + scalar;
        // ir_version 11, producer "attest", graph, opset_import { "" 23 }, opset_import { "d" 1 }
        String expected = "080b" + "1206617474657374" + "3a37" + graph + "42040a001017" + "42050a01641001";
        assertEquals(expected, HexFormat.of().formatHex(model));
    }

    @Test
    void theDefaultDomainWriterIsUnchanged() {
        // the opset-23 backend's models go through the general writer: no domain field, one opset_import
        byte[] model = OnnxModel.oneNode("Relu", List.of(new OnnxModel.Value("x", OnnxModel.FLOAT, List.of("N"))),
                List.of(new OnnxModel.Value("y", OnnxModel.FLOAT, List.of("N"))), List.of());
        String hex = HexFormat.of().formatHex(model);
        assertTrue(hex.endsWith("42040a001017"), hex);             // opset_import { domain "" version 23 }
        assertTrue(!hex.contains("3a0d636f6d2e6d6963726f736f6674"), hex);   // no domain "com.microsoft"
    }

    /**
     * q = k = 0 over two tokens (first prompt), then one decode step with the two as past: equal weights over the
     * keys each query may see, so row 0 = v0, row 1 = (v0 + v1) / 2, the decode step (v0 + v1 + v2) / 3.
     */
    @Test
    void aGroupQueryAttentionModelLoadsAndComputesAHandCheckedCase() throws OrtException {
        GqaRunner run = new GqaRunner(OrtEnvironment.getEnvironment(), 1);
        GqaRunner.Call prompt = new GqaRunner.Call(ElementType.FP32, 1, 1, 1f, 0f, -1, false, false);
        run.input(GqaRunner.Slot.QUERY, ElementType.FP32, 16);
        run.input(GqaRunner.Slot.KEY, ElementType.FP32, 16);
        ByteBuffer v = run.input(GqaRunner.Slot.VALUE, ElementType.FP32, 16);
        v.putFloat(0, 1f).putFloat(8 * 4, 3f);
        GqaRunner.Outputs o = run.run(prompt, 1, 2, 8, 0, new int[]{0});
        assertEquals(1f, o.output().getFloat(0), 1e-6f);
        assertEquals(2f, o.output().getFloat(8 * 4), 1e-6f);
        byte[] key = new byte[16 * 4], value = new byte[16 * 4];
        o.presentKey().get(0, key);
        o.presentValue().get(0, value);
        assertEquals(3f, ByteBuffer.wrap(value).order(java.nio.ByteOrder.nativeOrder()).getFloat(8 * 4));

        GqaRunner.Call decode = new GqaRunner.Call(ElementType.FP32, 1, 1, 1f, 0f, -1, true, false);
        run.input(GqaRunner.Slot.QUERY, ElementType.FP32, 8);
        run.input(GqaRunner.Slot.KEY, ElementType.FP32, 8);
        run.input(GqaRunner.Slot.VALUE, ElementType.FP32, 8).putFloat(0, 5f);
        run.input(GqaRunner.Slot.PAST_KEY, ElementType.FP32, 16).put(0, key);
        run.input(GqaRunner.Slot.PAST_VALUE, ElementType.FP32, 16).put(0, value);
        o = run.run(decode, 1, 1, 8, 2, new int[]{2});
        assertEquals(3f, o.output().getFloat(0), 1e-6f);
        assertEquals(3, o.presentLength());
        assertEquals(5f, o.presentValue().getFloat(2 * 8 * 4));      // present = concat(past, new), in place
    }

    /** Why bf16 is not declared: the 1.29 CPU provider registers GroupQueryAttention for float and float16 only. */
    @Test
    void bfloat16HasNoCpuKernel() throws OrtException {
        byte[] model = OnnxModel.groupQueryAttention(OnnxModel.BFLOAT16, false, false, List.of(
                OnnxModel.Attribute.ofInt("num_heads", 1), OnnxModel.Attribute.ofInt("kv_num_heads", 1)));
        OrtException refused = assertThrows(OrtException.class, () -> OrtEnvironment.getEnvironment()
                .createSession(model, new OrtSession.SessionOptions()).close());
        assertTrue(refused.getMessage().contains("Could not find an implementation"), refused.getMessage());
    }

    @Test
    void headDimsArePaddedToAMultipleOfEight() {
        assertArrayEquals(new int[]{8, 8, 8, 16, 64, 64}, new int[]{GqaRunner.paddedHeadDim(1),
                GqaRunner.paddedHeadDim(7), GqaRunner.paddedHeadDim(8), GqaRunner.paddedHeadDim(9),
                GqaRunner.paddedHeadDim(59), GqaRunner.paddedHeadDim(64)});
    }
}
