package dev.attest.benchmarks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DecodeScalingTest {

    @Test
    void theSlopeOfAPowerLawIsItsExponent() {
        double[] x = {128, 256, 512, 1024, 2048};
        double[] linear = new double[x.length], quadratic = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            linear[i] = 3 * x[i];
            quadratic[i] = 0.5 * x[i] * x[i];
        }
        assertEquals(1.0, DecodeScaling.logLogSlope(x, linear), 1e-12);
        assertEquals(2.0, DecodeScaling.logLogSlope(x, quadratic), 1e-12);
    }

    @Test
    void readsJmhJsonIntoRowsWithNaNScores(@TempDir Path dir) throws Exception {
        String json = """
                [ {"jmhVersion":"1.37","benchmark":"dev.attest.benchmarks.DecodeBenchmark.decode","mode":"avgt",
                   "params":{"cachedLength":"128"},
                   "primaryMetric":{"score":2.5,"scoreError":"NaN","scoreUnit":"us/op","rawData":[[2.5]]},
                   "secondaryMetrics":{"·gc.alloc.rate.norm":{"score":120.0,"scoreError":1.0,"scoreUnit":"B/op"}}},
                  {"jmhVersion":"1.37","benchmark":"dev.attest.benchmarks.DecodeBenchmark.recompute","mode":"avgt",
                   "params":{"cachedLength":"128"},
                   "primaryMetric":{"score":250.0,"scoreError":3.0,"scoreUnit":"us/op"},"secondaryMetrics":{}} ]
                """;
        File file = dir.resolve("r.json").toFile();
        Files.writeString(file.toPath(), json);
        List<DecodeScaling.Row> rows = DecodeScaling.rows(DecodeScaling.read(file));
        assertEquals(1, rows.size());
        assertEquals(128, rows.getFirst().length());
        assertEquals(100.0, rows.getFirst().ratio(), 1e-12);
        assertEquals(120.0, rows.getFirst().decodeAllocation(), 1e-12);
        assertEquals(Double.NaN, rows.getFirst().decodeError());
    }
}
