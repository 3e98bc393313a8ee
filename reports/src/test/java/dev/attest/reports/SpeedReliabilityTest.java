package dev.attest.reports;

import dev.attest.reports.html.HtmlReport;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.Metric;
import dev.attest.reports.model.Performance;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.Roofline;
import dev.attest.reports.model.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reliability rule where the report shows and judges speed: tables, fits, the frontier, compare's gate. */
class SpeedReliabilityTest {
    @TempDir
    Path dir;

    /** {@code report} with cpu-naive's latency on the configs {@code noisy} selects replaced by a noisy timing. */
    private static Report noisy(Report report, Predicate<String> noisy, double factor) {
        List<LatencyResult> latency = new ArrayList<>();
        for (LatencyResult l : report.latency()) {
            boolean replace = l.backend().equals("cpu-naive") && noisy.test(l.config());
            Metric m = replace ? Fixtures.noisyMetric(l.metric().center() * factor) : l.metric();
            latency.add(new LatencyResult(l.backend(), l.config(), m));
        }
        return new Report(report.schemaVersion(), report.environment(), report.run(), report.backends(),
                report.configs(), report.conformance(), report.accuracy(), latency, report.calibration(),
                report.kvCache(), report.linearAttention(), report.faultDetection(), report.measurementIssues(),
                report.performance()).canonical();
    }

    @Test
    void unreliableCellsAreMarkedAndNeitherFittedNorOnTheFrontier() {
        // two of cpu-naive's four scaling lengths and its fastest accuracy config are noisy
        Report report = noisy(Fixtures.report(0.001, 0.5, Status.PASS, 0.5),
                c -> c.endsWith("s0064") || c.endsWith("s0128") || c.equals("mqa-b2-h4-kv1-s33-d59"), 1);
        String html = HtmlReport.render(report);
        assertTrue(html.contains("<tr class=\"unreliable\"><td>cpu-naive</td><td>scaling-h4-d64-s0064</td>"), "marked");
        assertTrue(html.contains("unreliable: the 95% interval spans"), "the row says why");
        assertTrue(html.contains("<td>cpu-naive</td><td>not fitted: fewer than 3 reliable points (of 4)</td>"),
                "no fit through two reliable points");
        assertTrue(html.contains("<td>cpu-batched</td><td>2.00 ± 0.00, R² 1.000 (4 of 4 points)</td>"),
                "the steady backend keeps its fit, with interval and R²");
        assertTrue(html.contains("cpu-naive (unreliable, not fitted)"), "unreliable points drawn apart");
        String frontier = html.substring(html.indexOf("Pareto frontier (no other"), html.indexOf("</ul>",
                html.indexOf("Pareto frontier (no other")));
        assertFalse(frontier.contains("cpu-naive / mqa-b2-h4-kv1-s33-d59"), "an unreliable latency claims no place");
        assertTrue(html.contains("figure(s) in this report are unreliable"));
    }

    @Test
    void compareJudgesNoUnreliableFigure() {
        Report base = Fixtures.report(0.001, 0.5, Status.PASS, 0.5);
        // NEW is 3× slower on one config: a regression when measured steadily, not judged when noisy
        Path a = dir.resolve("a.json"), steady = dir.resolve("steady.json"), shaky = dir.resolve("shaky.json");
        ReportJson.write(a, base);
        List<LatencyResult> slower = new ArrayList<>();
        for (LatencyResult l : base.latency()) {
            boolean hit = l.backend().equals("cpu-naive") && l.config().endsWith("s0256");
            slower.add(hit ? new LatencyResult(l.backend(), l.config(), Fixtures.metric(3 * l.metric().center())) : l);
        }
        ReportJson.write(steady, new Report(base.schemaVersion(), base.environment(), base.run(), base.backends(),
                base.configs(), base.conformance(), base.accuracy(), slower, base.calibration(), base.kvCache(),
                base.linearAttention()));
        ReportJson.write(shaky, noisy(base, c -> c.endsWith("s0256"), 3));
        Cli regression = Cli.run("compare", a.toString(), steady.toString(), "--max-slowdown", "20");
        assertEquals(1, regression.code(), regression.out());
        assertTrue(regression.out().contains("| slower | cpu-naive | scaling-h4-d64-s0256 |"), regression.out());
        Cli notJudged = Cli.run("compare", a.toString(), shaky.toString(), "--max-slowdown", "20");
        assertEquals(0, notJudged.code(), notJudged.out());
        assertTrue(notJudged.out().contains("### Not judged") && notJudged.out().contains(
                "| unreliable | cpu-naive | scaling-h4-d64-s0256 |"), notJudged.out());
    }

    @Test
    void aFigureAboveTheRooflineIsRefusedAsImplausible() {
        Report report = Fixtures.report(0.001, 0.5, Status.PASS, 0.5);
        // a roofline of 2000 GFLOP/s: cpu-batched's synthetic 3000 GFLOP/s is impossible, cpu-naive's 1000 is not
        Metric op = Fixtures.metric(1.0);
        Roofline slowMachine = new Roofline("test", 2_000_000_000L, op, 1, op);
        Plausibility.Judged judged = Plausibility.judge(report.latency(), report.configs(), report.backends(), slowMachine);
        assertTrue(judged.kept().stream().noneMatch(l -> l.backend().equals("cpu-batched")
                && l.config().startsWith("scaling")));
        assertTrue(judged.kept().stream().anyMatch(l -> l.backend().equals("cpu-naive")));
        assertFalse(judged.implausible().isEmpty());
        assertTrue(judged.implausible().stream().allMatch(i -> i.status() == Status.FAIL
                && i.message().contains("above the machine's measured FMA peak")), judged.implausible().toString());
        // a backend on another device is not held to the CPU's roofline
        var onGpu = report.backends().stream().map(b -> new dev.attest.reports.model.BackendInfo(b.name(),
                b.description(), b.precision(), b.available(), b.unavailableReason(),
                b.name().equals("cpu-batched") ? "cuda" : "cpu")).toList();
        assertTrue(Plausibility.judge(report.latency(), report.configs(), onGpu, slowMachine).implausible().stream()
                .noneMatch(i -> i.backend().equals("cpu-batched")));
        // the page shows shares of the peak and the baseline ratio once a roofline is known
        String html = HtmlReport.render(report.withPerformance(new Performance(new Roofline("test", 1_000_000_000,
                op, 2, op), "cpu-naive")));
        assertTrue(html.contains("share of FMA peak") && html.contains("<td>baseline</td>"));
        assertTrue(html.contains("3.00× [2.95, 3.05]"), "cpu-batched is 3× cpu-naive with the intervals' spread");
        assertFalse(html.contains("(peak unreliable)"), "a steady roofline marks nothing");
        // a roofline whose N-thread figure is itself unreliable marks every share of it
        String shaky = HtmlReport.render(report.withPerformance(new Performance(new Roofline("test", 1_000_000_000,
                op, 2, Fixtures.noisyMetric(1.0)), "cpu-naive")));
        assertTrue(shaky.contains("% (peak unreliable)</td>") && shaky.contains("The 2-thread figure is itself"
                + " unreliable (the 95% interval spans"), "the page says the peak cannot be trusted");
    }

    private static dev.attest.reports.model.MachineState machine(String busy) {
        return new dev.attest.reports.model.MachineState("Test CPU", 512, 2, List.of("-Xmx4g"), List.of(0.1, 0.2, 0.3),
                List.of(1.9, 0.8, 0.4), 0.0, busy == null ? 0.01 : 1.4, busy == null ? 0.05 : 1.9, busy);
    }

    @Test
    void aBusyMachineGetsABannerAndTheEnvironmentSaysWhatTheTimingsSaw() {
        Report base = Fixtures.report(0.001, 0.5, Status.PASS, 0.5);
        Performance quiet = new Performance(null, "cpu-naive").withMachine(machine(null));
        String calm = HtmlReport.render(base.withPerformance(quiet));
        assertFalse(calm.contains("class=\"banner\""), "no banner on a quiet machine");
        assertTrue(calm.contains("<th>vector width</th><td>512 bits") && calm.contains("<td>Test CPU</td>")
                && calm.contains("<td>-Xmx4g</td>") && calm.contains("0.10, 0.20, 0.30 / 1.90, 0.80, 0.40"), calm);
        String busy = HtmlReport.render(base.withPerformance(quiet.withMachine(machine("other processes used 1.40"
                + " of 2 cores on average"))));
        assertEquals(2, busy.split("class=\"banner\"", -1).length - 1, "at the top and in the latency section");
        assertTrue(busy.contains("The machine was busy: other processes used 1.40 of 2 cores on average. Timings"));
    }

    @Test
    void mergedShardsKeepEveryShardsLengthSweepAndSayWhichShardWasBusy() {
        Report base = Fixtures.report(0.001, 0.5, Status.PASS, 0.5);
        var point = new dev.attest.reports.model.LengthSweepPoint("cpu-tiled", "softmax", "causal", 256, null,
                Fixtures.metric(1).interval(), 1e-7);
        var other = new dev.attest.reports.model.LengthSweepPoint("linear-causal", "linear", "causal", 256, 64,
                Fixtures.metric(0.5).interval(), 0.1);
        Performance one = new Performance(null, "cpu-naive", machine(null), List.of(point));
        Performance two = new Performance(null, "cpu-naive", machine("steal"), List.of(other));
        Performance merged = MergeCommand.performance(List.of(base.withPerformance(one), base.withPerformance(two)));
        assertEquals(List.of(point, other), merged.lengthSweep());
        assertEquals("shard 2: steal", merged.machine().busy());
        assertEquals(null, MergeCommand.performance(List.of(base.withPerformance(one), base.withPerformance(one)))
                .machine().busy(), "quiet shards stay quiet");
    }

    @Test
    void theLengthSweepShowsSlopesWithIntervalsAndTheCrossoverAndLeavesUnreliablePointsUnfitted() {
        List<dev.attest.reports.model.LengthSweepPoint> points = new ArrayList<>();
        for (int n : new int[]{256, 512, 1024, 2048}) {
            points.add(new dev.attest.reports.model.LengthSweepPoint("cpu-tiled", "softmax", "causal", n, null,
                    Fixtures.metric(1e-6 * n * n).interval(), 1e-7));
            points.add(new dev.attest.reports.model.LengthSweepPoint("linear-causal", "linear", "causal", n, 64,
                    (n == 2048 ? Fixtures.noisyMetric(1e-3 * n) : Fixtures.metric(1e-3 * n)).interval(), 0.1));
        }
        String html = HtmlReport.render(Fixtures.report(0.001, 0.5, Status.PASS, 0.5)
                .withPerformance(new Performance(null, "cpu-naive", null, points)));
        assertTrue(html.contains("id='fig-length-sweep'"));
        assertTrue(html.contains("<td>cpu-tiled causal</td><td>softmax</td><td>2.00 ± 0.00, R² 1.000 (4 of 4 points)</td>"),
                "quadratic softmax");
        assertTrue(html.contains("<td>linear-causal causal</td><td>linear</td><td>1.00 ± 0.00, R² 1.000 (3 of 4"
                + " points)</td>"), "linear, fitted through its reliable points only");
        assertTrue(html.contains("linear-causal causal against cpu-tiled causal (n = 256 to 1024, reliable figures"
                + " of both): faster from n ≈ 1000"), "the crossover where 1e-3·n meets 1e-6·n²");
        assertTrue(html.contains("<tr class=\"unreliable\"><td>linear-causal</td><td>causal</td><td>2048</td>"));
    }
}
