package dev.attest.reports;

import dev.attest.reports.golden.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GoldenTest {
    @TempDir
    Path dir;

    @Test
    void npyRoundTripsWithNumpysHeaderLayout() {
        Npy.Array a = new Npy.Array(new int[]{2, 3}, new float[]{1, -2, 3.5f, Float.NaN, 0, 1e-30f});
        byte[] bytes = Npy.write(a);
        assertEquals(0, (bytes.length - 4 * 6) % 64, "header padded to a multiple of 64 bytes");
        String header = new String(bytes, 10, bytes.length - 10 - 24, java.nio.charset.StandardCharsets.US_ASCII);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), header);
        assertTrue(header.endsWith("\n"));
        Npy.Array back = Npy.read(bytes, "a.npy");
        assertArrayEquals(a.shape(), back.shape());
        assertArrayEquals(a.data(), back.data());
        assertTrue(new String(Npy.write(new Npy.Array(new int[]{4}, new float[4])), 10, 60,
                java.nio.charset.StandardCharsets.US_ASCII).contains("'shape': (4,)"), "one-element tuple as NumPy writes it");
    }

    @Test
    void npzRoundTrips() throws Exception {
        Map<String, Npy.Array> arrays = new LinkedHashMap<>();
        arrays.put("q", new Npy.Array(new int[]{1, 2}, new float[]{1, 2}));
        arrays.put("out", new Npy.Array(new int[]{1, 1, 1, 1}, new float[]{7}));
        Path file = Files.write(dir.resolve("x.npz"), Npy.npz(arrays));
        Map<String, Npy.Array> back = Npy.readNpz(file);
        assertEquals(arrays.keySet(), back.keySet());
        assertArrayEquals(new float[]{7}, back.get("out").data());
    }

    @Test
    void exportedGoldenCasesPassOnTheBuiltInBackends() {
        Cli export = Cli.run("golden", "export", dir.toString());
        assertEquals(0, export.code(), export.err());
        assertTrue(Files.exists(dir.resolve("attention_4d_gqa_causal_bottom_right.npz")));
        Cli check = Cli.run("golden", "check", dir.toString());
        assertEquals(0, check.code(), check.out() + check.err());
        long available = dev.attest.spi.Backends.discover().stream().filter(b -> b.unavailableReason().isEmpty()).count();
        long cases = check.out().lines().map(l -> l.split("\\s+")[0]).distinct().count();
        assertEquals(6, cases, check.out());
        assertEquals(cases * available, check.out().lines().filter(l -> l.contains(" pass ")).count(), check.out());
    }

    @Test
    void aGoldenDirectoryWhoseShapesDisagreeWithItsOptionsIsExitTwo() throws Exception {
        Cli.run("golden", "export", dir.toString());
        Path json = dir.resolve("attention_4d.json");
        Files.writeString(json, Files.readString(json).replace("\"qLength\" : 4", "\"qLength\" : 5"));
        Cli check = Cli.run("golden", "check", dir.toString(), "--backend", "cpu-naive");
        assertEquals(2, check.code(), check.out() + check.err());
        assertEquals("attest: attention_4d: array 'q' has shape [2, 3, 4, 8] but attention_4d.json says [2, 3, 5, 8]",
                check.err().trim());
        assertEquals(2, Cli.run("golden", "check", dir.resolve("none").toString()).code());
    }

    @Test
    void aBackendThatDisagreesWithTheGoldenOutputFails() throws Exception {
        Cli.run("golden", "export", dir.toString());
        Path jar = Cli.serviceJar(dir.resolve(".."), PlantedOffsetBackend.class.getName());
        Cli check = Cli.run("golden", "check", dir.toString(), "--jar", jar.toString(), "--backend", "planted-offset");
        assertEquals(1, check.code(), check.out() + check.err());
        assertTrue(check.out().lines().anyMatch(l -> l.matches(".*planted-offset\\s+FAIL .*")), check.out());
    }
}
