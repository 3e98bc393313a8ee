package dev.attest.reports.golden;

import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The layout field decides how the arrays are read, even where both readings have the same shape (H = S). */
class GoldenLayoutTest {
    @TempDir
    Path dir;

    private void write(String name, String layout) throws Exception {
        // B = 1, H = S = 3, D = 4: BSHD data has the same shape as BHSD data
        GoldenCase c = new GoldenCase(name, 1, 3, 3, 3, 3, 4, 4, null, null, null, "BSHD", null, 1e-5, 1e-4, null);
        SplittableRandom random = new SplittableRandom(5);
        Map<String, Npy.Array> arrays = new LinkedHashMap<>();
        for (String a : new String[]{"q", "k", "v"}) {
            float[] d = new float[36];
            for (int i = 0; i < d.length; i++) d[i] = (float) random.nextDouble(-2, 2);
            arrays.put(a, new Npy.Array(new int[]{1, 3, 3, 4}, d));
        }
        arrays.put("out", GoldenExport.oracleOutput(c, Golden.problem(c, arrays)));
        Files.write(dir.resolve(name + ".npz"), Npy.npz(arrays));
        Files.writeString(dir.resolve(name + ".json"), ReportJson.MAPPER.writeValueAsString(c)
                .replace("\"BSHD\"", "\"" + layout + "\""));
    }

    @Test
    void bshdDataPassesAsBshdAndFailsWhenLabelledBhsd() throws Exception {
        write("right", "BSHD");
        write("wrong", "BHSD");
        CpuNaiveBackend naive = new CpuNaiveBackend();
        assertEquals(Status.PASS, GoldenRun.check(Golden.load(dir, "right"), naive, Throwable::toString).status());
        assertEquals(Status.FAIL, GoldenRun.check(Golden.load(dir, "wrong"), naive, Throwable::toString).status());
    }
}
