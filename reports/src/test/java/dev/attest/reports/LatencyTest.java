package dev.attest.reports;

import dev.attest.reports.model.LatencyResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatencyTest {
    @TempDir
    Path dir;

    @Test
    void jmhMeasuresABackendAndKeepsItsJson() throws Exception {
        // A tiny in-process run checks the plumbing, not speed: it need not wait for another engineer's JMH lock.
        System.setProperty("jmh.ignoreLock", "true");
        var config = Profile.TINY.accuracyConfigs.getFirst();
        Path json = dir.resolve("jmh.json");
        LatencyResult r = Latency.measure("cpu-naive", config, Profile.TINY.bench, List.of(), json, 60, null).result();
        assertEquals("cpu-naive", r.backend());
        assertEquals("ms/op", r.metric().unit());
        assertTrue(r.metric().samples().size() >= Profile.TINY.bench.measurementIterations());
        assertTrue(r.metric().interval().low() <= r.metric().interval().median()
                && r.metric().interval().median() <= r.metric().interval().high(), r.metric().interval().toString());
        assertTrue(r.metric().score() > 0);
        assertEquals("primary", r.metric().role());
        assertTrue(Files.readString(json).contains("\"primaryMetric\""));
    }
}
