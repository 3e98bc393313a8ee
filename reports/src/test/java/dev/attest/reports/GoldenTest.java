package dev.attest.reports;

import dev.attest.reports.golden.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code golden export} and {@code golden check} through the CLI: verdicts, broken cases, hostile backends. */
class GoldenTest {
    @TempDir
    Path dir;

    private Path exported() {
        Path golden = dir.resolve("golden");
        Cli export = Cli.run("golden", "export", golden.toString());
        assertEquals(0, export.code(), export.err());
        return golden;
    }

    private static void edit(Path file, String from, String to) throws Exception {
        String text = Files.readString(file);
        assertTrue(text.contains(from), file + " has no " + from);
        Files.writeString(file, text.replace(from, to));
    }

    /** How many cases {@code golden export} writes (formats 1 and 2's features, every element type). */
    private static final int EXPORTED = 28;

    /** The exported cases in a type other than fp32 that run without a cache. */
    private static final List<String> TYPED = List.of("attention_4d_bf16", "attention_4d_bf16_fp8_e5m2_kv",
            "attention_4d_fp16", "attention_4d_gqa_bf16_fp8_e4m3_kv");

    @Test
    void exportedGoldenCasesPassOnTheBuiltInBackends() {
        Path golden = exported();
        Cli check = Cli.run("golden", "check", golden.toString());
        assertEquals(0, check.code(), check.out() + check.err());
        List<String> lines = check.out().lines().filter(l -> l.startsWith("attention_")).toList();
        assertEquals(EXPORTED, lines.stream().map(l -> l.split("\\s+")[0]).distinct().count(), check.out());
        assertFalse(check.out().contains(" FAIL "), check.out());
        for (String name : lines.stream().map(l -> l.split("\\s+")[0]).distinct().toList()) {
            assertTrue(lines.stream().anyMatch(l -> l.matches(name + "\\s+cpu-naive\\s+pass .*")),
                    "cpu-naive, which declares every feature and the common types, passes " + name + "\n" + check.out());
        }
        // in their own types, judged in ulps of the output type
        assertTrue(lines.stream().anyMatch(l -> l.matches("attention_4d_gqa_bf16_fp8_e4m3_kv\\s+cpu-naive\\s+pass\\s+max"
                + " \\|out - expected\\| \\S+ at \\[.*], \\S+ ulp of bf16; .*")), check.out());
        // cpu-batched declares fp32 only: a typed case is unsupported there, neither passed nor failed
        List<String> typedAndCached = new java.util.ArrayList<>(TYPED);
        typedAndCached.add(2, "attention_4d_cache_fp16");
        assertEquals(typedAndCached, lines.stream().filter(l -> l.matches("\\S+\\s+cpu-batched\\s+unsupported\\s+cpu-batched does"
                + " not take element types .* \\(it declares \\[fp32]\\)")).map(l -> l.split("\\s+")[0]).toList(), check.out());
        assertTrue(lines.contains(String.format("%-40s %-14s unsupported  cpu-batched does not take element types"
                + " q=bf16 k=fp8_e4m3 v=fp8_e4m3 out=bf16 (it declares [fp32])", "attention_4d_gqa_bf16_fp8_e4m3_kv",
                "cpu-batched")), check.out());
        assertTrue(check.out().contains("attest: golden check of " + EXPORTED + " case(s): "), check.out());
    }

    @Test
    void brokenCasesAreEachNamedInOneLineAndTheOthersStillRun() throws Exception {
        Path golden = exported();
        edit(golden.resolve("attention_4d.json"), "\"qLength\" : 4", "\"qLength\" : 5");
        edit(golden.resolve("attention_4d_gqa.json"), "\"kvHeads\" : 2", "\"kvHeads\" : 3");
        edit(golden.resolve("attention_4d_scaled.json"), "\"scale\" : 0.125", "\"scale\" : -0.125");
        edit(golden.resolve("attention_4d_softcap.json"), "\"softcap\"", "\"soft_cap\"");
        edit(golden.resolve("attention_4d_causal.json"), "\"atol\" : 1.0E-5", "\"atol\" : \"NaN\"");
        Files.delete(golden.resolve("attention_4d_diff_heads_sizes.npz"));
        Files.writeString(golden.resolve("attention_bshd.json"), "{\"batch\": 2,");
        // element types: each array's dtype must be its JSON type's, and an fp8 tensor needs its descale
        edit(golden.resolve("attention_4d_fp16.json"), "\"q\" : \"fp16\"", "\"q\" : \"bf16\"");
        edit(golden.resolve("attention_4d_bf16.json"), "\"out\" : \"bf16\"", "\"out\" : \"fp16\"");
        Path fp8 = golden.resolve("attention_4d_gqa_bf16_fp8_e4m3_kv.json");
        Files.writeString(fp8, Files.readString(fp8).replaceFirst("\"k\" : \\[[^]]*],\\s*", ""));
        replaceArray(golden.resolve("attention_4d_bf16_fp8_e5m2_kv.npz"), "v", Npy.Dtype.FLOAT32);
        replaceArray(golden.resolve("attention_4d_key_padding.npz"), "q", Npy.Dtype.FLOAT16);
        Cli check = Cli.run("golden", "check", golden.toString(), "--backend", "cpu-naive");
        assertEquals(2, check.code(), check.out() + check.err());
        List<String> errors = check.err().lines().toList();
        assertEquals(List.of(
                "attest: attention_4d.npz:q.npy: array 'q' has shape [2, 3, 4, 8] but attention_4d.json says"
                        + " [2, 3, 5, 8] (BHSD)",
                "attest: attention_4d_bf16.npz:out.npy: array 'out' is <u2 (uint16) but attention_4d_bf16.json gives"
                        + " out the type fp16, stored as <f2 (float16)",
                "attest: attention_4d_bf16_fp8_e5m2_kv.npz:v.npy: array 'v' is <f4 (float32) but"
                        + " attention_4d_bf16_fp8_e5m2_kv.json gives v the type fp8_e5m2, stored as |u1 (uint8)",
                "attest: attention_4d_causal.json: field 'atol' must be a finite number >= 0, got \"NaN\"",
                "attest: attention_4d_diff_heads_sizes.json has no attention_4d_diff_heads_sizes.npz beside it",
                "attest: attention_4d_fp16.npz:q.npy: array 'q' is <f2 (float16) but attention_4d_fp16.json gives q"
                        + " the type bf16, stored as <u2 (uint16)",
                "attest: attention_4d_gqa.json: query heads Hq = 4 is not a multiple of key/value heads Hkv = 3",
                "attest: attention_4d_gqa_bf16_fp8_e4m3_kv.json: k is fp8_e4m3 but 'descales' has no 'k' (its"
                        + " dequantisation factor: a number, one per head or one per batch and head; 1.0 for none)",
                "attest: attention_4d_key_padding.npz:q.npy: array 'q' is <f2 (float16) but"
                        + " attention_4d_key_padding.json gives q the type fp32 (every array's type without"
                        + " \"types\"), stored as <f4 (float32) or <f8 (float64)",
                "attest: attention_4d_scaled.json: field 'scale' must be null or a finite number > 0, got -0.125"),
                errors.subList(0, 10), check.err());
        assertTrue(errors.get(10).startsWith("attest: attention_4d_softcap.json: unknown field 'soft_cap'"),
                check.err());
        assertTrue(errors.get(11).startsWith("attest: attention_bshd.json: not valid JSON"), check.err());
        assertTrue(check.out().lines().anyMatch(l -> l.matches("attention_4d_attn_mask\\s+cpu-naive\\s+pass .*")),
                "the readable cases still run: " + check.out());
        assertTrue(check.out().contains("golden check of 16 case(s) (12 unreadable, named above): 16 passed"),
                check.out());
        assertEquals(2, Cli.run("golden", "check", dir.resolve("none").toString()).code());
    }

    /** Replaces array {@code name} of an npz by one of the same shape in another dtype (zeros). */
    private static void replaceArray(Path npz, String name, Npy.Dtype dtype) throws Exception {
        Map<String, Npy.Array> arrays = new java.util.LinkedHashMap<>(Npy.readNpz(npz));
        int[] shape = arrays.get(name).shape();
        int n = java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        arrays.put(name, switch (dtype) {
            case FLOAT16, UINT16 -> Npy.Array.ofBits(shape, new short[n], dtype);
            case UINT8 -> Npy.Array.ofBits(shape, new byte[n]);
            default -> new Npy.Array(shape, new float[n], dtype);
        });
        Files.write(npz, Npy.npz(arrays));
    }

    /**
     * ONNX's own fp16 Attention and FlexAttention tests (src/test/resources/onnx-fp16, converted by
     * OnnxGoldenConverter) run in fp16 end to end: cpu-naive gets fp16 tensors and writes an fp16 output, judged with
     * ONNX's tolerance (rtol 1e-3, atol 1e-7).
     */
    @Test
    void onnxsFp16CasesPassInFp16WithOnnxsTolerance() {
        Cli check = Cli.run("golden", "check", "src/test/resources/onnx-fp16", "--backend", "cpu-naive");
        assertEquals(0, check.code(), check.out() + check.err());
        List<String> lines = check.out().lines().filter(l -> l.startsWith("test_")).toList();
        assertEquals(5, lines.stream().filter(l -> l.matches("\\S+\\s+cpu-naive\\s+pass\\s+max \\|out - expected\\| .*"
                + " ulp of fp16; worst .* of its tolerance \\(atol 1e-07, rtol 0.001\\)")).count(), check.out());
        assertTrue(check.out().contains("attest: golden check of 5 case(s): 5 passed, 0 failed, 0 unsupported"),
                check.out());
    }

    /**
     * ONNX opset 24's nonpad_kv_seqlen cases (src/test/resources/onnx-opset24): the per-sequence causal frontier
     * ({@code key_lengths}) and key padding on cpu-naive, in fp32, with ONNX's tolerance.
     */
    @Test
    void onnxsOpset24KeyLengthCasesPass() {
        Cli check = Cli.run("golden", "check", "src/test/resources/onnx-opset24", "--backend", "cpu-naive,cpu-tiled");
        assertEquals(0, check.code(), check.out() + check.err());
        assertTrue(check.out().contains("attest: golden check of 6 case(s): 12 passed, 0 failed, 0 unsupported"),
                check.out());
    }

    @Test
    void anExpectedInfinityIsNotMetByAFiniteOutput() throws Exception {
        Path golden = exported();
        Path npz = golden.resolve("attention_4d.npz");
        Map<String, Npy.Array> arrays = Npy.readNpz(npz);
        arrays.get("out").data()[5] = Float.POSITIVE_INFINITY;
        Files.write(npz, Npy.npz(arrays));
        Cli check = Cli.run("golden", "check", golden.toString(), "--backend", "cpu-naive");
        assertEquals(1, check.code(), check.out() + check.err());
        String line = check.out().lines().filter(l -> l.startsWith("attention_4d ")).findFirst().orElseThrow();
        assertTrue(line.matches("attention_4d\\s+cpu-naive\\s+FAIL\\s+max \\|out - expected\\| inf at \\[b=0, h=0,"
                + " i=0, d=5].*expected Infinity.*"), line);
    }

    @Test
    void aBackendThatDisagreesWithTheGoldenOutputFails() throws Exception {
        Path golden = exported();
        Path jar = Cli.serviceJar(dir, PlantedOffsetBackend.class.getName() + "\n"
                + PlantedTypedOffsetBackend.class.getName());
        Cli check = Cli.run("golden", "check", golden.toString(), "--jar", jar.toString(), "--backend",
                "planted-offset,planted-typed-offset");
        assertEquals(1, check.code(), check.out() + check.err());
        assertTrue(check.out().lines().anyMatch(l -> l.matches("attention_4d\\s+planted-offset\\s+FAIL\\s+max"
                + " \\|out - expected\\| 0.500 at \\[b=0, h=0, i=0, d=0].*")), check.out());
        // the same planted bug in fp16, bf16 and under an fp8 KV cache: each typed case fails, in its own ulps
        for (String name : TYPED) {
            String type = name.equals("attention_4d_fp16") ? "fp16" : "bf16";
            assertTrue(check.out().lines().anyMatch(l -> l.matches(name + "\\s+planted-typed-offset\\s+FAIL\\s+max"
                    + " \\|out - expected\\| 0.2\\d+ at \\[b=0, h=0, i=0, d=0], \\S+ ulp of " + type + "; 1 of \\d+"
                    + " elements out of tolerance.*")), name + "\n" + check.out());
        }
    }

    @Test
    void checkingNothingIsNoPass() throws Exception {
        Path golden = exported();
        for (String name : caseNames(golden)) {
            if (!name.equals("attention_4d_gqa")) {
                Files.delete(golden.resolve(name + ".json"));
                Files.delete(golden.resolve(name + ".npz"));
            }
        }
        Path jar = HostileJars.build(dir, HostileJars.Misbehaviour.MINIMAL);
        Cli check = Cli.run("golden", "check", golden.toString(), "--jar", jar.toString(), "--backend",
                "hostile-minimal");
        assertEquals(1, check.code(), check.out() + check.err());
        assertTrue(check.out().matches("(?s)attention_4d_gqa\\s+hostile-minimal\\s+unsupported\\s+hostile-minimal does"
                + " not declare \\[GROUPED_QUERY_HEADS].*"), check.out());
        assertTrue(check.err().contains("no case was checked on any backend"), check.err());
    }

    private static List<String> caseNames(Path golden) {
        return dev.attest.reports.golden.Golden.caseNames(golden);
    }

    @Test
    void hostileBackendsFailTheirOwnCasesInTheirOwnWorkers() throws Exception {
        Path golden = exported();
        List<String> args = new java.util.ArrayList<>(List.of("golden", "check", golden.toString(), "--backend",
                "cpu-naive,hostile-exit-zero,hostile-mutate-input,hostile-throw,hostile-nan"));
        for (var m : List.of(HostileJars.Misbehaviour.EXIT_ZERO, HostileJars.Misbehaviour.MUTATE_INPUT,
                HostileJars.Misbehaviour.THROW, HostileJars.Misbehaviour.NAN)) {
            args.addAll(List.of("--jar", HostileJars.build(dir, m).toString()));
        }
        Cli cli = HostileJars.runCli(dir, List.of("-Dattest.hostile.after=3"), args);
        assertEquals(1, cli.code(), cli.out() + cli.err());
        List<String> lines = cli.out().lines().toList();
        assertEquals(EXPORTED, lines.stream().filter(l -> l.matches("\\S+\\s+cpu-naive\\s+pass .*")).count(), cli.out());
        assertEquals(2, lines.stream().filter(l -> l.matches("\\S+\\s+hostile-exit-zero\\s+pass .*")).count(),
                "the two cases before its exit are kept: " + cli.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("\\(worker\\)\\s+hostile-exit-zero\\s+FAIL\\s+hostile-exit-zero"
                + " ended its worker JVM before the run finished, with exit code 0.*; not checked: .*")), cli.out());
        assertEquals(16, lines.stream().filter(l -> l.matches("\\S+\\s+hostile-mutate-input\\s+FAIL\\s+wrote into its"
                + " input q: element 0 .*")).count(), cli.out());
        assertEquals(16, lines.stream().filter(l -> l.matches("\\S+\\s+hostile-throw\\s+FAIL\\s+threw"
                + " java.lang.IllegalStateException: kernel launch failed: planted")).count(), cli.out());
        assertEquals(16, lines.stream().filter(l -> l.matches("\\S+\\s+hostile-nan\\s+FAIL\\s+max \\|out - expected\\|"
                + " inf .*")).count(), cli.out());
    }
}
