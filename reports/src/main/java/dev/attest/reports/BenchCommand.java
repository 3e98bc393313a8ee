package dev.attest.reports;

import dev.attest.reports.machine.MachineMonitor;
import dev.attest.reports.model.Environment;
import dev.attest.reports.model.KvCachePoint;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.Metric;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.RunInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"A latency sweep through JMH (programmatic runner, forks, warm-up) over the chosen backends"
                + " and the profile's configurations. Keeps JMH's JSON (DIR/jmh/) and Attest's result model"
                + " (DIR/bench.json). No conformance check: use `report` for figures gated on conformance."},
        footer = {"", "Examples:", "  ./attest bench --backend cpu-batched",
                "  flock /tmp/attest-bench.lock ./attest bench --profile full --out bench-out"})
public final class BenchCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "attest-out/bench",
            description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--profile", defaultValue = "quick", description = "quick (default) or full")
    String profileName;

    @Option(names = "--baseline", paramLabel = "BACKEND", description = "the backend every speed is given as a ratio"
            + " to (default: onnxruntime when measured, else cpu-naive)")
    String baseline;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        MachineMonitor machine = MachineMonitor.start();
        Profile profile = Profile.parse(profileName);
        OutputPaths.checkDir("--out", out);
        RunSettings settings = common.settings(common.seed(), profile.label(), null, null, null);
        Discovery.Selection selection = common.selection(settings, err);
        selection.softmax().stream().filter(b -> !b.available()).forEach(b ->
                err.println("attest: " + b.name() + " is unavailable, not measured: " + b.unavailableReason()));
        Shard shard = common.shard();
        Path jmhDir = out.resolve("jmh");
        String baselineBackend = Measurements.baseline(baseline, selection.availableSoftmax());
        Measurements.Measured measured = Measurements.measure(settings, selection.availableSoftmax(), Set.of(), profile,
                shard, false, true, jmhDir, err);
        List<dev.attest.reports.model.BackendInfo> infos = CommonOptions.infos(selection.all());
        Measurements.Speed speed = Measurements.speed(profile, measured.latency(), infos, baselineBackend, jmhDir, err);
        List<dev.attest.reports.model.MeasurementIssue> issues = new java.util.ArrayList<>(measured.issues());
        issues.addAll(speed.implausible());
        Metric calibration = Measurements.calibration(profile, shard, jmhDir);
        dev.attest.reports.model.Performance performance = Measurements.machineState(speed.performance(), machine, err);
        Report report = new Report(Report.SCHEMA_VERSION, Environment.current(),
                new RunInfo("bench", profile.label(), common.seed(), common.tries, shard.whole() ? null : shard.toString(),
                        common.requested(), profile.bench), infos, profile.allConfigs(),
                selection.failures(), List.of(), speed.latency(), calibration, measured.kvCache(), List.of(), null,
                issues, performance).canonical();
        ReportJson.write(out.resolve("bench.json"), report);
        stdout.printf(Locale.ROOT, "%-14s %-32s %12s %24s%n", "backend", "config", "median ms", "95% interval");
        for (LatencyResult r : report.latency()) {
            var i = r.metric().interval();
            stdout.printf(Locale.ROOT, "%-14s %-32s %12.4f %24s%s%n", r.backend(), r.config(), i.median(),
                    String.format(Locale.ROOT, "[%.4f, %.4f]", i.low(), i.high()),
                    i.reliable() ? "" : "  unreliable: " + i.unreliable());
        }
        if (calibration != null) {
            stdout.printf(Locale.ROOT, "calibration (%s): %.4f %s%n", calibration.label(), calibration.score(),
                    calibration.unit());
        }
        if (!report.kvCache().isEmpty()) {
            stdout.printf(Locale.ROOT, "%-14s %8s %14s %16s %10s%n", "backend", "cached L", "decode ms/tok",
                    "recompute ms/tok", "ratio");
            for (KvCachePoint p : report.kvCache()) {
                stdout.printf(Locale.ROOT, "%-14s %8d %14.5f %16.5f %9.1fx%s%n", p.backend(), p.length(),
                        p.decodeMillis(), p.recomputeMillis(), p.ratio(), p.reliable() ? "" : "  unreliable");
            }
        }
        CheckCommand.printFailures(report, stdout);
        ReportCommand.printNotMeasured(report, stdout);
        stdout.println("attest: results in " + out.resolve("bench.json") + ", JMH JSON in " + jmhDir);
        return report.failures() > 0 ? AttestCli.FAILED : AttestCli.OK;
    }
}
