package dev.attest.reports.golden;

import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Descale;
import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.Status;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Capabilities;
import dev.attest.spi.TensorTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Element types in golden files: the "types" and "descales" fields, dtype agreement, typed export and loading. */
class GoldenTypesTest {
    @TempDir
    Path dir;

    private static final String DIMS = "\"batch\": 2, \"qHeads\": 4, \"kvHeads\": 2, \"qLength\": 3, \"kvLength\": 5,"
            + " \"qkHeadDim\": 8, \"vHeadDim\": 8, \"atol\": 0.01, \"rtol\": 0.01";

    private static GoldenCase parse(String extra) {
        return GoldenCase.parse("c", ReportJson.MAPPER.readTree("{" + DIMS + extra + "}"));
    }

    private static String refusal(String extra) {
        return assertThrows(GoldenException.class, () -> parse(extra)).getMessage();
    }

    @Test
    void everyTypeAgreesWithExactlyItsOwnDtypes() {
        Map<ElementType, Set<Npy.Dtype>> allowed = Map.of(
                ElementType.FP32, Set.of(Npy.Dtype.FLOAT32, Npy.Dtype.FLOAT64),
                ElementType.FP16, Set.of(Npy.Dtype.FLOAT16),
                ElementType.BF16, Set.of(Npy.Dtype.UINT16),
                ElementType.FP8_E4M3, Set.of(Npy.Dtype.UINT8),
                ElementType.FP8_E5M2, Set.of(Npy.Dtype.UINT8));
        for (ElementType type : ElementType.values()) {
            GoldenTypes types = new GoldenTypes(new TensorTypes(ElementType.FP32, type, ElementType.FP32,
                    ElementType.FP32), null, Map.of());
            for (Npy.Dtype dtype : Npy.Dtype.values()) {
                String refused = types.dtypeRefusal("k", dtype, "c.json");
                if (allowed.get(type).contains(dtype)) {
                    assertNull(refused, type + " stored as " + dtype);
                } else {
                    // one line naming the array, the file's dtype, the JSON's type and the dtype it needs
                    assertTrue(refused != null && refused.startsWith("array 'k' is " + dtype.describe() + " but c.json"
                            + " gives k the type " + type) && refused.contains(", stored as "), type + " / " + refused);
                }
            }
        }
        assertEquals("array 'q' is <u2 (uint16) but c.json gives q the type fp16, stored as <f2 (float16)",
                GoldenTypes.of(TensorTypes.uniform(ElementType.FP16)).dtypeRefusal("q", Npy.Dtype.UINT16, "c.json"));
        assertEquals("array 'out' is <f2 (float16) but c.json gives out the type fp32 (every array's type without"
                + " \"types\"), stored as <f4 (float32) or <f8 (float64)",
                GoldenTypes.FP32.dtypeRefusal("out", Npy.Dtype.FLOAT16, "c.json"));
        // a mask without a type: float32, float64 or bool as today; with one, exactly that type's dtype
        assertNull(GoldenTypes.FP32.dtypeRefusal("attn_mask", Npy.Dtype.BOOL, "c.json"));
        GoldenTypes fp16Mask = new GoldenTypes(TensorTypes.uniform(ElementType.FP16), ElementType.FP16, Map.of());
        assertNull(fp16Mask.dtypeRefusal("attn_mask", Npy.Dtype.FLOAT16, "c.json"));
        assertTrue(fp16Mask.dtypeRefusal("attn_mask", Npy.Dtype.BOOL, "c.json").startsWith("array 'attn_mask' is |b1"));
    }

    @Test
    void typesAndDescalesAreReadStrictly() {
        GoldenCase c = parse(", \"types\": {\"q\": \"bf16\", \"k\": \"fp8_e4m3\", \"v\": \"fp8_e4m3\", \"out\":"
                + " \"bf16\"}, \"descales\": {\"k\": 0.5, \"v\": [[0.25, 0.5], [1, 2]]}");
        assertEquals(TensorTypes.withCache(ElementType.BF16, ElementType.FP8_E4M3), c.elementTypes().tensors());
        assertEquals(Descale.of(0.5f), c.elementTypes().descale("k"));
        assertEquals(new Descale(new float[]{0.25f, 0.5f, 1, 2}, 2, 2), c.elementTypes().descale("v"));
        assertEquals(Descale.perHead(0.25f, 0.5f), parse(", \"types\": {\"q\": \"fp32\", \"k\": \"fp8_e5m2\", \"v\":"
                + " \"fp32\", \"out\": \"fp32\"}, \"descales\": {\"k\": [0.25, 0.5]}").elementTypes().descale("k"));
        assertEquals(GoldenTypes.FP32, parse("").elementTypes(), "no types: every array fp32, as before");

        String fp8Kv = ", \"types\": {\"q\": \"bf16\", \"k\": \"fp8_e4m3\", \"v\": \"fp8_e4m3\", \"out\": \"bf16\"}";
        assertEquals("c.json: v is fp8_e4m3 but 'descales' has no 'v' (its dequantisation factor: a number, one per"
                + " head or one per batch and head; 1.0 for none)", refusal(fp8Kv + ", \"descales\": {\"k\": 1}"));
        assertTrue(refusal(fp8Kv).startsWith("c.json: k is fp8_e4m3 but 'descales' has no 'k'"));
        assertEquals("c.json: descales.q is given but q is bf16; only fp8 tensors have a descale",
                refusal(fp8Kv + ", \"descales\": {\"q\": 1, \"k\": 1, \"v\": 1}"));
        assertEquals("c.json: descales.k must be a number > 0, an array of 2 (one per head of k) or an array of 2"
                + " arrays of 2 (per batch and head), got [1,2,3]", refusal(fp8Kv + ", \"descales\": {\"k\": [1, 2, 3],"
                + " \"v\": 1}"));
        assertTrue(refusal(fp8Kv + ", \"descales\": {\"k\": -1, \"v\": 1}").startsWith("c.json: descales.k must be"));
        assertTrue(refusal(fp8Kv + ", \"descales\": {\"k\": 1, \"v\": 1, \"out\": 1}")
                .startsWith("c.json: unknown array 'out' in 'descales'"));
        assertEquals("c.json: 'types' has no 'out' (it names all of q, k, v and out)",
                refusal(", \"types\": {\"q\": \"fp16\", \"k\": \"fp16\", \"v\": \"fp16\"}"));
        assertEquals("c.json: types.k is \"fp8\", not one of fp32, fp16, bf16, fp8_e4m3, fp8_e5m2",
                refusal(", \"types\": {\"q\": \"fp16\", \"k\": \"fp8\", \"v\": \"fp16\", \"out\": \"fp16\"}"));
        assertEquals("c.json: types.out is fp8_e5m2; the output is fp32, fp16 or bf16", refusal(", \"types\": {\"q\":"
                + " \"fp16\", \"k\": \"fp16\", \"v\": \"fp16\", \"out\": \"fp8_e5m2\"}"));
        assertTrue(refusal(", \"types\": {\"q\": \"fp16\", \"k\": \"fp16\", \"v\": \"fp16\", \"out\": \"fp16\","
                + " \"bias\": \"fp16\"}").startsWith("c.json: unknown array 'bias' in 'types'"));
    }

    @Test
    void typedCasesExportAndLoadInTheirOwnTypesWithTheBitsAsStored() throws Exception {
        assertEquals(GoldenExport.RECIPES.size(), GoldenExport.export(dir));
        String json = Files.readString(dir.resolve("attention_4d_gqa_bf16_fp8_e4m3_kv.json"));
        assertTrue(json.contains("\"types\" : {\n    \"q\" : \"bf16\",\n    \"k\" : \"fp8_e4m3\",\n    \"v\" :"
                + " \"fp8_e4m3\",\n    \"out\" : \"bf16\"\n  },\n  \"descales\" : {\n    \"k\" : ["), json);
        assertTrue(Files.readString(dir.resolve("attention_4d_bf16_fp8_e5m2_kv.json")).matches("(?s).*\"descales\" :"
                + " \\{\n    \"k\" : [0-9.E-]+,\n    \"v\" : [0-9.E-]+\n  }.*"), "a per-tensor descale is a number");
        assertTrue(!Files.readString(dir.resolve("attention_4d.json")).contains("types"), "fp32 cases as before");

        Map<String, Npy.Array> arrays = Npy.readNpz(dir.resolve("attention_4d_gqa_bf16_fp8_e4m3_kv.npz"));
        assertEquals(Npy.Dtype.UINT16, arrays.get("q").dtype());
        assertEquals(Npy.Dtype.UINT8, arrays.get("k").dtype());
        assertEquals(Npy.Dtype.UINT16, arrays.get("out").dtype());
        Golden.Loaded loaded = Golden.load(dir, "attention_4d_gqa_bf16_fp8_e4m3_kv");
        AttentionProblem p = loaded.problem();
        assertEquals(TensorTypes.withCache(ElementType.BF16, ElementType.FP8_E4M3),
                TensorTypes.of(p, loaded.expected()));
        assertArrayEquals(arrays.get("k").bits8(), p.key().bits8(), "the fp8 bits as stored");
        assertEquals(2, p.key().descale().heads(), "one descale per kv head");

        // the backend gets those same bits, and the fp16 expected output is the oracle's, rounded once
        List<TensorTypes> seen = new ArrayList<>();
        List<byte[]> keys = new ArrayList<>();
        CpuNaiveBackend naive = new CpuNaiveBackend();
        AttentionBackend recording = new AttentionBackend() {
            public String name() {
                return "recording";
            }

            public Capabilities capabilities() {
                return naive.capabilities();
            }

            public void attention(AttentionProblem problem, Tensor out) {
                seen.add(TensorTypes.of(problem, out));
                keys.add(problem.key().bits8().clone());
                naive.attention(problem, out);
            }
        };
        GoldenResult r = GoldenRun.check(loaded, recording, Throwable::toString);
        assertEquals(Status.PASS, r.status(), r.message());
        assertEquals(List.of(TensorTypes.withCache(ElementType.BF16, ElementType.FP8_E4M3)), seen);
        assertArrayEquals(arrays.get("k").bits8(), keys.get(0));
        assertTrue(r.message().contains(" ulp of bf16"), r.message());

        // fp32-only: unsupported, naming every tensor's type and what it declares, and never called
        GoldenResult fp32Only = GoldenRun.check(loaded, new CpuNaiveBackend(CpuNaiveBackend.FP32_CAPABILITIES),
                Throwable::toString);
        assertEquals(Status.UNSUPPORTED, fp32Only.status());
        assertEquals("cpu-naive does not take element types q=bf16 k=fp8_e4m3 v=fp8_e4m3 out=bf16 (it declares"
                + " [fp32])", fp32Only.message());
    }

    @Test
    void a16BitMaskIsDecodedExactlyIntoTheBias() throws Exception {
        GoldenCase c = parse(", \"types\": {\"q\": \"fp16\", \"k\": \"fp16\", \"v\": \"fp16\", \"out\": \"fp16\","
                + " \"attn_mask\": \"fp16\"}");
        Map<String, Npy.Array> arrays = new LinkedHashMap<>();
        for (String a : List.of("q", "k", "v", "out")) {
            int[] shape = c.storedShape(a);
            arrays.put(a, Npy.Array.ofBits(shape, new short[java.util.Arrays.stream(shape).reduce(1, (x, y) -> x * y)],
                    Npy.Dtype.FLOAT16));
        }
        short[] mask = new short[15];
        mask[1] = Float.floatToFloat16(Float.NEGATIVE_INFINITY);
        mask[2] = Float.floatToFloat16(0.333f);
        arrays.put("attn_mask", Npy.Array.ofBits(new int[]{3, 5}, mask, Npy.Dtype.FLOAT16));
        float[] bias = ((dev.attest.reference.Mask.Bias) Golden.problem(c, arrays).mask()).bias();
        assertEquals(Float.NEGATIVE_INFINITY, bias[1]);
        assertEquals(Float.float16ToFloat(mask[2]), bias[2]);
    }
}
