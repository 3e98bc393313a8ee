package dev.attest.reports;

import dev.attest.reports.model.BackendInfo;
import dev.attest.reports.model.Environment;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.RunInfo;
import dev.attest.reports.model.Status;
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
        assertEquals("attest: " + dir.resolve("s1/report.json") + ": shard 1/2 is given twice (also "
                + dir.resolve("s1/report.json") + ")", twice.err().strip());
    }

    private final Report whole = Fixtures.report(0.001, 0.5, Status.PASS, 0.5);
    private final RunInfo run = whole.run();

    @Test
    void aMissingShardOrAShardAloneIsRefused() {
        Path s1 = shard("s1.json", "1/3"), s2 = shard("s2.json", "2/3"), s3 = shard("s3.json", "3/3");
        refused("shard 3/3 is missing: merge needs every shard 1..3 of the run, each once", s1, s2);
        refused("shard 1/3 is missing: merge needs every shard 1..3 of the run, each once", s3, s2);
        refused("shard 2/2 is missing: merge needs every shard 1..2 of the run, each once", shard("alone.json", "1/2"));
        refused(s2 + ": shard 2/3 is given twice (also " + s2 + ")", s1, s2, s2, s3);
        refused(dir.resolve("bad.json") + ": run.shard is '4/3', expected I/N with 1 <= I <= N", s1,
                shard("bad.json", "4/3"));
    }

    /** Everything that defines a run must agree; the message names the file, the field and both values. */
    @Test
    void shardsOfDifferentRunsOrOfDifferentShardCountsAreRefused() {
        Path s1 = shard("s1.json", "1/3"), s3 = shard("s3.json", "3/3");
        refused(dir.resolve("of4.json") + ": shard 2/4 is of a run in 4 shards, " + s1 + "'s 1/3 of one in 3",
                s1, shard("of4.json", "2/4"), s3);
        refused(dir.resolve("seed.json") + ": seed 5 differs from " + s1 + "'s 42", s1, write("seed.json",
                new RunInfo(run.command(), run.profile(), 5, run.tries(), "2/3", run.requested(), run.bench())), s3);
        refused(dir.resolve("sel.json") + ": requested backends [cpu-naive] differs from " + s1 + "'s [all]", s1,
                write("sel.json", new RunInfo(run.command(), run.profile(), run.seed(), run.tries(), "2/3",
                        List.of("cpu-naive"), run.bench())), s3);
        refused(dir.resolve("check.json") + ": command check differs from " + s1 + "'s report", s1, write("check.json",
                new RunInfo("check", run.profile(), run.seed(), run.tries(), "2/3", run.requested(), run.bench())), s3);
        refused(dir.resolve("nobench.json") + ": bench settings null differs from " + s1 + "'s " + run.bench(), s1,
                write("nobench.json", new RunInfo(run.command(), run.profile(), run.seed(), run.tries(), "2/3",
                        run.requested(), null)), s3);
        Report older = new Report(whole.schemaVersion(), new Environment("m", "Linux 6", "amd64", 2, 4096, "Test VM",
                "25", "0.0.9"), run.withShard("2/3"), whole.backends(), whole.configs(), whole.conformance(),
                whole.accuracy(), whole.latency(), whole.calibration(), whole.kvCache(), whole.linearAttention());
        refused(dir.resolve("older.json") + ": attest version 0.0.9 differs from " + s1 + "'s 0.1.0", s1,
                write("older.json", older), s3);
        Report unavailable = new Report(whole.schemaVersion(), whole.environment(), run.withShard("2/3"),
                List.of(whole.backends().get(0), new BackendInfo("cpu-naive", "naive", "fp32", false, "not here")),
                whole.configs(), whole.conformance(), whole.accuracy(), whole.latency(), whole.calibration(),
                whole.kvCache(), whole.linearAttention());
        refused(dir.resolve("unavailable.json") + ": backends [cpu-batched, cpu-naive (unavailable)] differs from " + s1
                + "'s [cpu-batched, cpu-naive]", s1, write("unavailable.json", unavailable), s3);
    }

    @Test
    void aReportThatIsNotAShardIsNotMergedWithOthers() {
        Path notAShard = write("whole.json", whole);
        refused(notAShard + ": not a shard (run.shard is null: a whole or merged run), so it cannot be merged with"
                + " other reports", shard("s1.json", "1/2"), shard("s2.json", "2/2"), notAShard);
        refused(notAShard + ": not a shard (run.shard is null: a whole or merged run), so it cannot be merged with"
                + " other reports", notAShard, notAShard);
    }

    @Test
    void everyShardOfOneRunMergesIntoTheWholeRun() {
        Cli ok = Cli.run("merge", shard("s3.json", "3/3").toString(), shard("s1.json", "1/3").toString(),
                shard("s2.json", "2/3").toString(), "--out", dir.resolve("merged").toString());
        assertEquals(0, ok.code(), ok.out() + ok.err());
        assertEquals(whole, ReportJson.read(dir.resolve("merged/report.json")));
    }

    private Path shard(String name, String shard) {
        return write(name, Fixtures.shard(whole, shard));
    }

    private Path write(String name, RunInfo run) {
        return write(name, Fixtures.withRun(whole, run));
    }

    private Path write(String name, Report report) {
        Path file = dir.resolve(name);
        ReportJson.write(file, report);
        return file;
    }

    private void refused(String message, Path... files) {
        List<String> args = new java.util.ArrayList<>(List.of("merge"));
        for (Path f : files) args.add(f.toString());
        args.addAll(List.of("--out", dir.resolve("refused").toString()));
        Cli cli = Cli.run(args.toArray(String[]::new));
        assertEquals(2, cli.code(), cli.out() + cli.err());
        assertEquals("attest: " + message, cli.err().strip());
        assertFalse(java.nio.file.Files.exists(dir.resolve("refused")), "nothing written");
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
