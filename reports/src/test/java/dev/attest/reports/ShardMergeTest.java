package dev.attest.reports;

import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardMergeTest {
    @TempDir
    Path dir;

    @Test
    void theShardsPartitionTheWorkItems() {
        Shard a = Shard.parse("1/3"), b = Shard.parse("2/3"), c = Shard.parse("3/3");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            String item = "property_" + i;
            int owners = (a.owns("x", item) ? 1 : 0) + (b.owns("x", item) ? 1 : 0) + (c.owns("x", item) ? 1 : 0);
            assertEquals(1, owners, item);
            if (a.owns("x", item)) seen.add(item);
        }
        assertTrue(seen.size() > 30 && seen.size() < 110, "roughly a third: " + seen.size());
    }

    @Test
    void mergedShardReportsEqualASingleRun() throws Exception {
        Path killMatrix = java.nio.file.Files.writeString(dir.resolve("kill-matrix.json"),
                dev.attest.faults.KillMatrixFiles.toJson(Fixtures.wholeCatalog()));
        String[] common = {"report", "--profile", "tiny", "--no-latency", "--backend", "cpu-naive", "--tries", "3",
                "--kill-matrix", killMatrix.toString()};
        Report single = run(common, "whole", null);
        Report one = run(common, "s1", "1/2"), two = run(common, "s2", "2/2");
        assertFalse(one.conformance().isEmpty());
        assertFalse(two.conformance().isEmpty());
        assertEquals(single.conformance().size(), one.conformance().size() + two.conformance().size());

        Cli cli = Cli.run("merge", dir.resolve("s2/report.json").toString(), dir.resolve("s1/report.json").toString(),
                "--out", dir.resolve("merged").toString());
        assertEquals(0, cli.code(), cli.out() + cli.err());
        Report merged = ReportJson.read(dir.resolve("merged/report.json"));
        assertEquals(single.run(), merged.run());
        assertEquals(single.backends(), merged.backends());
        assertEquals(single.configs(), merged.configs());
        assertEquals(single.conformance(), merged.conformance());
        assertEquals(single.accuracy(), merged.accuracy());
        assertEquals(single.latency(), merged.latency());
        assertNotNull(single.faultDetection());
        assertNull(two.faultDetection(), "fault detection is shard 1's work item");
        assertEquals(single.faultDetection(), one.faultDetection());
        assertEquals(single.faultDetection(), merged.faultDetection(), "merge takes it from the shard that has it");

        Cli twice = Cli.run("merge", dir.resolve("s1/report.json").toString(), dir.resolve("s1/report.json").toString());
        assertEquals(2, twice.code(), "a shard given twice is bad input");
    }

    private Report run(String[] common, String out, String shard) {
        List<String> args = new java.util.ArrayList<>(List.of(common));
        args.addAll(List.of("--out", dir.resolve(out).toString()));
        if (shard != null) args.addAll(List.of("--shard", shard));
        Cli cli = Cli.run(args.toArray(String[]::new));
        assertEquals(0, cli.code(), cli.out() + cli.err());
        assertTrue(cli.out().contains("attest: report written to"), cli.out());
        return ReportJson.read(dir.resolve(out).resolve("report.json"));
    }
}
