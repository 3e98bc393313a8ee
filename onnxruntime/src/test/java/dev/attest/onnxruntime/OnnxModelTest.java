package dev.attest.onnxruntime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hand-written protobuf encoder, byte for byte, and ONNX Runtime loading and running what it writes. */
class OnnxModelTest {

    @Test
    void varintsAndTagsFollowTheWireFormat() {
        OnnxModel.Writer w = new OnnxModel.Writer();
        w.varint(1, 300);                                    // tag 0x08, 300 = 0xAC 0x02
        w.fixed32(2, Float.floatToRawIntBits(1.5f));         // tag 0x15, 0x3FC00000 little-endian
        w.string(20, "ab");                                  // tag (20 << 3 | 2) = 162 = 0xA2 0x01
        assertArrayEquals(new byte[]{0x08, (byte) 0xAC, 0x02, 0x15, 0, 0, (byte) 0xC0, 0x3F, (byte) 0xA2, 0x01, 2,
                'a', 'b'}, w.bytes());
    }

    @Test
    void aOneNodeAttentionModelLoadsAndComputesAHandCheckedCase() throws OrtException {
        byte[] model = OnnxModel.oneNode("Attention", List.of(
                        new OnnxModel.Value("Q", OnnxModel.FLOAT, List.of("B", "H", "S", "D")),
                        new OnnxModel.Value("K", OnnxModel.FLOAT, List.of("B", "H", "T", "D")),
                        new OnnxModel.Value("V", OnnxModel.FLOAT, List.of("B", "H", "T", "E"))),
                List.of(new OnnxModel.Value("Y", OnnxModel.FLOAT, List.of("B", "H", "S", "E"))),
                List.of(OnnxModel.Attribute.ofFloat("scale", 1f)));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(model, new OrtSession.SessionOptions());
             OnnxTensor q = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[]{0f}), new long[]{1, 1, 1, 1});
             OnnxTensor k = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[]{1f, 2f}), new long[]{1, 1, 2, 1});
             OnnxTensor v = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[]{1f, 3f}), new long[]{1, 1, 2, 1});
             OrtSession.Result r = session.run(Map.of("Q", q, "K", k, "V", v))) {
            // q = 0: equal weights over the two keys, so y = (1 + 3) / 2
            float[] y = ((OnnxTensor) r.get(0)).getFloatBuffer().array();
            assertEquals(2f, y[0], 1e-6f);
        }
    }

    /**
     * Pins an ONNX Runtime deviation the backend works around: an attn_mask broadcast along the key axis is
     * refused, though ONNX allows any broadcastable mask. When this test fails, ONNX Runtime has fixed it: drop
     * the key-axis expansion in OnnxRuntimeBackend.maskTensor.
     */
    @Test
    void onnxRuntimeRefusesAMaskBroadcastAlongTheKeyAxis() throws OrtException {
        byte[] model = OnnxModel.oneNode("Attention", List.of(
                        new OnnxModel.Value("Q", OnnxModel.FLOAT, List.of("B", "H", "S", "D")),
                        new OnnxModel.Value("K", OnnxModel.FLOAT, List.of("B", "H", "T", "D")),
                        new OnnxModel.Value("V", OnnxModel.FLOAT, List.of("B", "H", "T", "D")),
                        new OnnxModel.Value("attn_mask", OnnxModel.FLOAT, List.of("M", "N"))),
                List.of(new OnnxModel.Value("Y", OnnxModel.FLOAT, List.of("B", "H", "S", "D"))), List.of());
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(model, new OrtSession.SessionOptions());
             OnnxTensor q = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[]{0f}), new long[]{1, 1, 1, 1});
             OnnxTensor k = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[]{1f, 2f}), new long[]{1, 1, 2, 1});
             OnnxTensor v = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[]{1f, 3f}), new long[]{1, 1, 2, 1});
             OnnxTensor m = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[]{0.5f}), new long[]{1, 1})) {
            OrtException refused = assertThrows(OrtException.class,
                    () -> session.run(Map.of("Q", q, "K", k, "V", v, "attn_mask", m)).close());
            assertTrue(refused.getMessage().contains("inconsistent total_sequence_length"), refused.getMessage());
        }
    }
}
