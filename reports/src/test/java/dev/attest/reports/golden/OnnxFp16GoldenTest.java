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
        boolean regenerate = Boolean.getBoolean("attest.onnx.regenerate");
        List<String> converted = new ArrayList<>();
        for (Path test : OnnxGoldenConverter.cases(DIR.resolve("onnx"))) {
            OnnxGoldenConverter.Converted c = OnnxGoldenConverter.convert(test, "onnx/onnx " + COMMIT
                    + ", onnx/backend/test/data/node/" + test.getFileName());
            byte[] npz = Npy.npz(c.arrays());
            byte[] json = (ReportJson.MAPPER.writeValueAsString(c.options()) + "\n").getBytes(StandardCharsets.UTF_8);
            String name = c.options().name();
            if (regenerate) {
                Files.write(DIR.resolve(name + ".npz"), npz);
                Files.write(DIR.resolve(name + ".json"), json);
            }
            assertArrayEquals(npz, Files.readAllBytes(DIR.resolve(name + ".npz")), name + ".npz");
            assertEquals(new String(json, StandardCharsets.UTF_8), Files.readString(DIR.resolve(name + ".json")));
            converted.add(name);
        }
        assertEquals(List.of("test_attention_24_qk_matmul_output_mode3_softmax_precision", "test_attention_4d_fp16",
                "test_attention_4d_gqa_causal_nonpad_decode_fp16", "test_attention_4d_gqa_with_past_and_present_fp16",
                "test_flexattention_fp16"),
                converted);
        assertEquals(converted, Golden.caseNames(DIR), "no golden case without its ONNX source");
    }
}
