package dev.attest.reports;

import dev.attest.reports.model.Report;
import dev.attest.reports.model.Status;
import dev.attest.reports.model.ReportJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportCommandTest {
    @TempDir
    Path dir;

    @Test
    void aTinyReportMeasuresConformingBackendsOnlyAndWritesJsonAndHtml() throws Exception {
        System.setProperty("jmh.ignoreLock", "true"); // plumbing, not speed: see LatencyTest
        Path jar = Cli.serviceJar(dir, PlantedOffsetBackend.class.getName());
        Path out = dir.resolve("report");
        Cli cli = Cli.run("report", "--profile", "tiny", "--tries", "3", "--jar", jar.toString(),
                "--backend", "cpu-naive,planted-offset", "--no-fault-detection", "--out", out.toString());
        assertEquals(1, cli.code(), "planted-offset fails conformance: " + cli.out() + cli.err());
        assertTrue(cli.out().contains("attest: report written to " + out.resolve("report.html").toAbsolutePath()),
                cli.out());
        Report report = ReportJson.read(out.resolve("report.json"));
        assertEquals("tiny", report.run().profile());
        // planted-offset takes fp32 only: its low-precision configs are "unsupported" issues, never measured
        long fp32 = Profile.TINY.accuracyConfigs.stream().filter(c -> c.types().equals("fp32")).count();
        long typed = Profile.TINY.accuracyConfigs.size() - fp32;
        assertTrue(typed > 0, "the tiny profile measures a low-precision config");
        assertEquals(Profile.TINY.accuracyConfigs.size() + fp32, report.accuracy().size(), "accuracy for both");
        assertEquals(typed, report.measurementIssues().stream().filter(i -> i.backend().equals("planted-offset")
                && i.status() == Status.UNSUPPORTED && i.message().contains("element types")).count(),
                "each undeclared element type said so");
        assertTrue(report.accuracy().stream().anyMatch(a -> a.backend().equals("cpu-naive")
                && a.types().contains("fp8_e4m3") && a.withinAllowance() && a.ulpError() != null));
        assertFalse(report.latency().isEmpty());
        assertTrue(report.latency().stream().allMatch(l -> l.backend().equals("cpu-naive")),
                "a backend that fails conformance gets no speed figure");
        assertEquals(Profile.TINY.allConfigs().size(), report.latency().size());
        assertTrue(report.calibration() != null && report.calibration().score() > 0);
        assertTrue(Files.isRegularFile(out.resolve("jmh/calibration.json")));
        assertEquals(Profile.TINY.kvLengths().length, report.kvCache().size(), "kv-cache for the conforming backend");
        assertTrue(report.kvCache().stream().allMatch(p -> p.backend().equals("cpu-naive") && p.decodeMillis() > 0
                && p.recomputeMillis() > 0));
        assertEquals(2 * Profile.TINY.linearSweep().features().length, report.linearAttention().size(),
                "FAVOR+ i.i.d. and orthogonal at every m");
        assertTrue(report.linearAttention().stream().allMatch(p -> p.error() > 0 && p.latencyMillis() != null
                && (p.variant().contains("orthogonal") == (p.theory() == null))));
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("id='fig-scaling'") && html.contains("id='fig-accuracy'"));
        assertTrue(html.contains("FAIL planted-offset"));
        assertTrue(html.contains("id='fig-kv'") && html.contains("id='fig-linear'"));
    }

    @Test
    void aReportSweepsLinearAgainstSoftmaxInWorkersAndRecordsTheMachinesState() throws Exception {
        System.setProperty("jmh.ignoreLock", "true");
        Path out = dir.resolve("report");
        Cli cli = Cli.run("report", "--profile", "tiny", "--tries", "2", "--backend", "cpu-tiled,linear-recurrent",
                "--no-fault-detection", "--out", out.toString());
        assertEquals(0, cli.code(), cli.out() + cli.err());
        Report report = ReportJson.read(out.resolve("report.json"));
        var sweep = report.performance().lengthSweep();
        assertTrue(sweep.stream().anyMatch(p -> p.series().equals("cpu-tiled causal"))
                && sweep.stream().anyMatch(p -> p.series().equals("cpu-tiled non-causal"))
                && sweep.stream().anyMatch(p -> p.series().equals("linear-recurrent causal")), sweep.toString());
        assertTrue(sweep.stream().allMatch(p -> p.latency() != null && p.latency().samples() > 0), "every point timed");
        assertTrue(report.measurementIssues().stream().anyMatch(i -> i.backend().equals("linear-recurrent")
                && i.item().equals("length-sweep:non-causal") && i.status() == Status.UNSUPPORTED),
                "a form the backend does not declare is said, not skipped: " + report.measurementIssues());
        var machine = report.performance().machine();
        assertTrue(machine != null && machine.cores() > 0 && machine.loadBefore() != null
                && machine.othersCoresMean() != null, String.valueOf(machine));
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("id='fig-length-sweep'") && html.contains("linear-recurrent causal against"
                + " cpu-tiled causal"), "chart and crossover");
    }

    @Test
    void aBackendThatIsFastBecauseItSkipsWorkIsFlaggedAndGetsNoSpeedFigure() throws Exception {
        System.setProperty("jmh.ignoreLock", "true");
        Path jar = Cli.serviceJar(dir, SkipsRepeatedWorkBackend.class.getName());
        Path out = dir.resolve("bench");
        Cli cli = Cli.run("bench", "--profile", "tiny", "--jar", jar.toString(), "--backend",
                "cpu-naive,skips-repeated-work", "--out", out.toString());
        assertEquals(1, cli.code(), "a lying speed figure fails the run: " + cli.out() + cli.err());
        Report bench = ReportJson.read(out.resolve("bench.json"));
        assertTrue(bench.latency().stream().noneMatch(l -> l.backend().equals("skips-repeated-work")),
                "no speed figure for it");
        assertTrue(bench.latency().stream().anyMatch(l -> l.backend().equals("cpu-naive")), "the honest one keeps its");
        var flagged = bench.measurementIssues().stream().filter(i -> i.backend().equals("skips-repeated-work")
                && i.item().startsWith("latency:") && i.status() == Status.FAIL).toList();
        long fp32 = Profile.TINY.allConfigs().stream().filter(c -> c.types().equals("fp32")).count();
        assertEquals(fp32, flagged.size(), "every configuration it was timed on is flagged: " + flagged);
        String why = flagged.getFirst().message();
        assertTrue(why.contains("gets no speed figure") && (why.contains("skips work")
                || why.contains("differ from the untimed call")), why);
        assertTrue(bench.measurementIssues().stream().noneMatch(i -> i.backend().equals("cpu-naive")
                && i.status() == Status.FAIL), "cpu-naive's timed output is bit-identical to its untimed one");
    }

    @Test
    void benchKeepsJmhJsonAndAttestsModel() throws Exception {
        System.setProperty("jmh.ignoreLock", "true");
        Path out = dir.resolve("bench");
        Cli cli = Cli.run("bench", "--profile", "tiny", "--backend", "cpu-batched", "--out", out.toString());
        assertEquals(0, cli.code(), cli.out() + cli.err());
        Report bench = ReportJson.read(out.resolve("bench.json"));
        assertEquals("bench", bench.run().command());
        // cpu-batched takes fp32 only: the low-precision configs are not measured
        long fp32 = Profile.TINY.allConfigs().stream().filter(c -> c.types().equals("fp32")).count();
        assertEquals(fp32, bench.latency().size());
        assertEquals(Profile.TINY.kvLengths().length, bench.kvCache().size());
        try (var files = Files.list(out.resolve("jmh"))) {
            int roofline = Runtime.getRuntime().availableProcessors() == 1 ? 1 : 2;
            assertEquals(fp32 + 1 + roofline, files.count(), "a JSON per config, the calibration and the roofline on 1 and N threads");
        }
        assertTrue(cli.out().contains("median ms") && cli.out().contains("95% interval"), cli.out());
        assertTrue(bench.performance() != null && bench.performance().roofline().peakGflops() > 0,
                "the FMA roofline of the same run");
        assertTrue(bench.latency().stream().allMatch(l -> l.metric().interval() != null), "no figure without an interval");
    }
}
