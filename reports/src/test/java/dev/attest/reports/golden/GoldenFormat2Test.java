package dev.attest.reports.golden;

import dev.attest.backends.batched.CpuBatchedBackend;
import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.backends.tiled.CpuTiledBackend;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.Status;
import dev.attest.spi.AttentionBackend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden format 2 (docs/golden.md): what {@code golden export} writes is format 2 and reads back; windows, explicit
 * and per-sequence alignments, integer key lengths, log-sum-exp and scores, and cache cases (past and present K/V,
 * chunks, masks over absolute positions) pass on the CPU backends and fail when a result is wrong; malformed
 * format-2 files are refused in one line naming the file and the field or array.
 */
class GoldenFormat2Test {
    @TempDir
    static Path exported;

    @TempDir
    Path dir;

    @BeforeAll
    static void export() {
        GoldenExport.export(exported);
    }

    @BeforeEach
    void copyExported() throws Exception {
        try (var files = Files.list(exported)) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
    }

    @Test
    void everyExportedCaseIsFormat2AndEachNewFeatureIsInOne() throws Exception {
        List<String> names = Golden.caseNames(dir);
        assertEquals(GoldenExport.RECIPES.size(), names.size());
        int caches = 0, windows = 0, lse = 0, scores = 0, perSequence = 0, keyLengthArrays = 0;
        for (String name : names) {
            JsonNode json = ReportJson.MAPPER.readTree(Files.readString(dir.resolve(name + ".json")));
            assertEquals(2, json.get("format").intValue(), name);
            assertTrue(!json.has("keyLengths"), name + ": format 2 keeps key lengths in the array key_lengths");
            Golden.Loaded loaded = Golden.load(dir, name);
            if (loaded.cache() != null) caches++;
            if (loaded.options().v2().window() != null) windows++;
            if (loaded.expectedLse() != null) lse++;
            if (loaded.expectedScores() != null) scores++;
            if (loaded.options().v2().offsets() != null) perSequence++;
            if (loaded.options().keyLengths() != null) keyLengthArrays++;
        }
        assertTrue(caches >= 5 && windows >= 2 && lse >= 2 && scores >= 3 && perSequence >= 1
                && keyLengthArrays >= 2, caches + " " + windows + " " + lse + " " + scores + " " + perSequence + " "
                + keyLengthArrays);
    }

    @Test
    void everyExportedCasePassesOrIsUnsupportedOnEveryCpuBackend() {
        List<String> failures = new ArrayList<>();
        int cachePasses = 0;
        for (AttentionBackend backend : List.of(new CpuNaiveBackend(), new CpuBatchedBackend(), new CpuTiledBackend())) {
            for (String name : Golden.caseNames(dir)) {
                Golden.Loaded loaded = Golden.load(dir, name);
                GoldenResult r = GoldenRun.check(loaded, backend, Throwable::toString);
                if (r.status() == Status.FAIL) failures.add(backend.name() + " " + name + ": " + r.message());
                if (backend instanceof CpuNaiveBackend) {
                    assertEquals(Status.PASS, r.status(), "cpu-naive declares every feature: " + name + " " + r);
                }
                if (loaded.cache() != null && r.status() == Status.PASS) cachePasses++;
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        assertTrue(cachePasses >= 2 * 6, "the cache cases run through cpu-naive's and cpu-tiled's caches: "
                + cachePasses);
    }

    @Test
    void aWrongPresentBitALogSumExpOrAScoreFailsItsCase() throws Exception {
        Map<String, String> broken = new LinkedHashMap<>();
        broken.put("attention_4d_cache_past_present_attn_mask", GoldenCase.PRESENT_VALUE);
        broken.put("attention_4d_attn_mask_lse_scores_biased", GoldenCase.LSE);
        broken.put("attention_4d_softcap_scores_softcapped", GoldenCase.SCORES);
        for (var e : broken.entrySet()) {
            Path npz = dir.resolve(e.getKey() + ".npz");
            Map<String, Npy.Array> arrays = new LinkedHashMap<>(Npy.readNpz(npz));
            float[] data = arrays.get(e.getValue()).data();
            data[data.length - 1] = Math.nextUp(data[data.length - 1]);   // one ulp: present is judged bit for bit
            if (!e.getValue().equals(GoldenCase.PRESENT_VALUE)) data[data.length - 1] += 0.01f;
            Files.write(npz, Npy.npz(arrays));
            GoldenResult r = GoldenRun.check(Golden.load(dir, e.getKey()), new CpuNaiveBackend(), Throwable::toString);
            assertEquals(Status.FAIL, r.status(), e + ": " + r);
            String said = e.getValue().equals(GoldenCase.PRESENT_VALUE) ? "present_value differs at" : e.getValue() + " ";
            assertTrue(r.message().contains(said), r.message());
        }
    }

    /** A cache that forgets the past it was opened with: its outputs and present K/V are wrong, and the case fails. */
    @Test
    void aCacheThatDropsItsPastFails() {
        CpuNaiveBackend naive = new CpuNaiveBackend();
        AttentionBackend forgetful = (AttentionBackend) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{AttentionBackend.class}, (proxy, method, args) -> {
                    try {
                        if (method.getName().equals("openCache") && args.length == 2) {
                            return naive.openCache((CacheSpec) args[0]);
                        }
                        return method.invoke(naive, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        GoldenResult r = GoldenRun.check(Golden.load(dir, "attention_4d_cache_past_present_attn_mask"), forgetful,
                Throwable::toString);
        assertEquals(Status.FAIL, r.status(), r.toString());
        assertTrue(r.message().contains("present_key"), r.message());
    }

    @Test
    void malformedFormat2FilesAreRefusedInOneLine() throws Exception {
        String base = "attention_4d_gqa_cache_causal_chunks";
        Map<String, String> edits = new LinkedHashMap<>();
        edits.put("\"format\" : 2", "\"format\" : 3");
        edits.put("[ [ 3, 3 ], [ 1, 1 ], [ 2, 2 ] ]", "[ [ 3, 3 ], [ 1, 1 ] ]");
        edits.put("\"causal\" : \"past\"", "\"causal\" : \"bottom_right\"");
        edits.put("\"cache\" : {", "\"cache\" : { \"ring\" : true,");
        Map<String, String> said = Map.of(
                "\"format\" : 3", "field 'format' must be 1 or 2",
                "[ [ 3, 3 ], [ 1, 1 ] ]", "cache.chunks hold 4 queries and 4 keys but qLength = 6 and kvLength = 6",
                "\"causal\" : \"bottom_right\"", "field 'causal' must be null or one of [past]",
                "\"cache\" : { \"ring\" : true,", "unknown field 'cache.ring'");
        String json = Files.readString(dir.resolve(base + ".json"));
        for (var e : edits.entrySet()) {
            assertTrue(json.contains(e.getKey()), e.getKey() + " in " + json);
            Files.writeString(dir.resolve(base + ".json"), json.replace(e.getKey(), e.getValue()));
            String m = assertThrows(GoldenException.class, () -> Golden.load(dir, base)).getMessage();
            assertTrue(m.startsWith(base + ".json: ") && m.contains(said.get(e.getValue())), m);
            assertEquals(1, m.lines().count(), m);
        }
        Files.writeString(dir.resolve(base + ".json"), json);

        // a format-2 field in a format-1 file, and format 1's keyLengths in format 2, are named with what to do
        String v1 = Files.readString(dir.resolve("attention_4d.json")).replace("\"format\" : 2,", "")
                .replace("\"batch\"", "\"window\" : {\"left\" : 1}, \"batch\"");
        Files.writeString(dir.resolve("attention_4d.json"), v1);
        assertTrue(assertThrows(GoldenException.class, () -> Golden.load(dir, "attention_4d")).getMessage()
                .endsWith("it is a format-2 field: add \"format\": 2"));
        String v2 = Files.readString(dir.resolve("attention_4d_causal.json"))
                .replace("\"batch\"", "\"keyLengths\" : [5], \"batch\"");
        Files.writeString(dir.resolve("attention_4d_causal.json"), v2);
        assertTrue(assertThrows(GoldenException.class, () -> Golden.load(dir, "attention_4d_causal")).getMessage()
                .endsWith("format 2 holds key lengths in the array 'key_lengths'"));

        // arrays: unknown, past without a cache, scores without a stage, a key length past int32
        Path npz = dir.resolve("attention_4d_gqa.npz");
        Map<String, Npy.Array> arrays = new LinkedHashMap<>(Npy.readNpz(npz));
        arrays.put("bias", new Npy.Array(new int[]{1}, new float[]{0}));
        Files.write(npz, Npy.npz(arrays));
        assertTrue(assertThrows(GoldenException.class, () -> Golden.load(dir, "attention_4d_gqa")).getMessage()
                .contains("unexpected array 'bias'"));
        arrays.remove("bias");
        arrays.put(GoldenCase.PAST_KEY, arrays.get(GoldenCase.K));
        Files.write(npz, Npy.npz(arrays));
        assertTrue(assertThrows(GoldenException.class, () -> Golden.load(dir, "attention_4d_gqa")).getMessage()
                .contains("array 'past_key' belongs to a cache case"));
        arrays.remove(GoldenCase.PAST_KEY);
        arrays.put(GoldenCase.SCORES, new Npy.Array(new int[]{1, 4, 5, 5}, new float[100]));
        Files.write(npz, Npy.npz(arrays));
        assertTrue(assertThrows(GoldenException.class, () -> Golden.load(dir, "attention_4d_gqa")).getMessage()
                .contains("the array 'scores' needs the field 'scoreStage'"));
        Path lengths = dir.resolve("attention_4d_causal_key_lengths.npz");
        Map<String, Npy.Array> withLengths = new LinkedHashMap<>(Npy.readNpz(lengths));
        withLengths.put(GoldenCase.KEY_LENGTHS, Npy.Array.ofInts(new int[]{2}, new long[]{6, 1L << 33},
                Npy.Dtype.INT64));
        Files.write(lengths, Npy.npz(withLengths));
        assertTrue(assertThrows(GoldenException.class, () -> Golden.load(dir, "attention_4d_causal_key_lengths"))
                .getMessage().contains("key_lengths[1] is 8589934592, past int32"));
    }

    @Test
    void aCacheCasesMaskSpansPastAndNewKeys() throws Exception {
        Golden.Loaded loaded = Golden.load(dir, "attention_4d_cache_past_present_attn_mask");
        assertNotNull(loaded.cache().past());
        // past 4 + 3 new keys; the step's queries sit at 4 and 5: causal at offset 4
        assertEquals(7, loaded.problem().spec().kvLength());
        assertEquals(4, loaded.problem().positionOffset(0));
        Path npz = dir.resolve("attention_4d_cache_past_present_attn_mask.npz");
        Map<String, Npy.Array> arrays = new LinkedHashMap<>(Npy.readNpz(npz));
        arrays.put(GoldenCase.MASK, new Npy.Array(new int[]{2, 1, 2, 3}, new float[12]));    // new keys only
        Files.write(npz, Npy.npz(arrays));
        assertTrue(assertThrows(GoldenException.class,
                () -> Golden.load(dir, "attention_4d_cache_past_present_attn_mask")).getMessage()
                .contains("attn_mask has 3 key columns; a cache case's mask spans every key position (past +"
                        + " kvLength = 7)"));
    }
}
