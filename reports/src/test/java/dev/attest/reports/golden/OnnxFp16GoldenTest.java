package dev.attest.reports.golden;

import dev.attest.reports.model.ReportJson;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * ONNX's own fp16 Attention (and plain FlexAttention) node tests as golden cases (src/test/resources/onnx-fp16, README there): the committed
 * NAME.npz and NAME.json are exactly what {@link OnnxGoldenConverter} makes of ONNX's files beside them. Run with
 * {@code -Dattest.onnx.regenerate=true} to rewrite them. {@code GoldenTest} runs them through {@code golden check}.
 */
class OnnxFp16GoldenTest {
    static final Path DIR = Path.of("src/test/resources/onnx-fp16");
    /** The commit of onnx/onnx the files come from: the last one before "Remove node test artifacts (#7959)". */
    static final String COMMIT = "6be0677fc22e74563e6eb472f931513aefe5648d";

    @Test
    void theCommittedCasesAreTheConversionOfOnnxsFiles() throws Exception {
        assertEquals(List.of("test_attention_24_qk_matmul_output_mode3_softmax_precision", "test_attention_4d_fp16",
                "test_attention_4d_gqa_causal_nonpad_decode_fp16", "test_attention_4d_gqa_with_past_and_present_fp16",
                "test_flexattention_fp16"), convertedAndCompared(DIR));
    }

    /**
     * ONNX opset 24's {@code nonpad_kv_seqlen} tests (src/test/resources/onnx-opset24, fp32): with {@code is_causal},
     * ONNX shifts the causal frontier of each batch row to {@code nonpad[b] - Sq}, which the converter expresses as
     * the golden alignment {@code key_lengths} where top-left and bottom-right do not show every query its keys.
     */
    @Test
    void opset24sKeyLengthCasesConvertWithThePerSequenceFrontier() throws Exception {
        Path dir = Path.of("src/test/resources/onnx-opset24");
        assertEquals(List.of("test_attention_4d_causal_nonpad_attn_mask_composition",
                "test_attention_4d_causal_nonpad_batch_prefill", "test_attention_4d_causal_nonpad_continued_prefill",
                "test_attention_4d_causal_nonpad_negative_offset_structural_empty",
                "test_attention_4d_diff_heads_mask4d_padded_kv", "test_attention_4d_gqa_causal_nonpad_decode"),
                convertedAndCompared(dir));
        // batch rows of 4, 5 and 6 valid keys and Sq = 3: three different frontiers, neither top-left nor bottom-right
        GoldenCase batchPrefill = Golden.load(dir, "test_attention_4d_causal_nonpad_batch_prefill").options();
        assertEquals("key_lengths", batchPrefill.causal());
        assertArrayEquals(new int[]{4, 5, 6}, batchPrefill.keyLengths());
    }

    /** Converts every ONNX test under {@code dir}/onnx and compares with the committed cases; their names. */
    private static List<String> convertedAndCompared(Path dir) throws Exception {
        boolean regenerate = Boolean.getBoolean("attest.onnx.regenerate");
        List<String> converted = new ArrayList<>();
        for (Path test : OnnxGoldenConverter.cases(dir.resolve("onnx"))) {
            OnnxGoldenConverter.Converted c = OnnxGoldenConverter.convert(test, "onnx/onnx " + COMMIT
                    + ", onnx/backend/test/data/node/" + test.getFileName());
            byte[] npz = Npy.npz(c.arrays());
            byte[] json = (ReportJson.MAPPER.writeValueAsString(c.options()) + "\n").getBytes(StandardCharsets.UTF_8);
            String name = c.options().name();
            if (regenerate) {
                Files.write(dir.resolve(name + ".npz"), npz);
                Files.write(dir.resolve(name + ".json"), json);
            }
            assertArrayEquals(npz, Files.readAllBytes(dir.resolve(name + ".npz")), name + ".npz");
            assertEquals(new String(json, StandardCharsets.UTF_8), Files.readString(dir.resolve(name + ".json")));
            converted.add(name);
        }
        assertEquals(converted, Golden.caseNames(dir), "no golden case without its ONNX source");
        return converted;
    }
}
