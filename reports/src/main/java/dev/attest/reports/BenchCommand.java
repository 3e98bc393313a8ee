package dev.attest.reports;

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

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        Profile profile = Profile.parse(profileName);
        var backends = common.availableBackends(spec.commandLine().getErr());
        Shard shard = common.shard();
        Path jmhDir = out.resolve("jmh");
        List<LatencyResult> latency = Measurements.latency(backends, Set.of(), profile, shard, common.jars, jmhDir,
                spec.commandLine().getErr());
        Metric calibration = Measurements.calibration(profile, shard, jmhDir);
        List<KvCachePoint> kvCache = Measurements.kvCache(backends, Set.of(), profile, shard, spec.commandLine().getErr());
        Report report = new Report(Report.SCHEMA_VERSION, Environment.current(),
                new RunInfo("bench", profile.label(), common.seed(), common.tries, shard.whole() ? null : shard.toString(),
                        common.requested(), profile.bench), common.backendInfos(backends), profile.allConfigs(),
                List.of(), List.of(), latency, calibration, kvCache, List.of()).canonical();
        ReportJson.write(out.resolve("bench.json"), report);
        stdout.printf(Locale.ROOT, "%-14s %-32s %12s %10s%n", "backend", "config", "ms/op", "± (99.9%)");
        for (LatencyResult r : report.latency()) {
            stdout.printf(Locale.ROOT, "%-14s %-32s %12.4f %10s%n", r.backend(), r.config(), r.metric().score(),
                    r.metric().error() == null ? "-" : String.format(Locale.ROOT, "%.4f", r.metric().error()));
        }
        if (calibration != null) {
            stdout.printf(Locale.ROOT, "calibration (%s): %.4f %s%n", calibration.label(), calibration.score(),
                    calibration.unit());
        }
        if (!report.kvCache().isEmpty()) {
            stdout.printf(Locale.ROOT, "%-14s %8s %14s %16s %10s%n", "backend", "cached L", "decode ms/tok",
                    "recompute ms/tok", "ratio");
            for (KvCachePoint p : report.kvCache()) {
                stdout.printf(Locale.ROOT, "%-14s %8d %14.5f %16.5f %9.1fx%n", p.backend(), p.length(),
                        p.decodeMillis(), p.recomputeMillis(), p.ratio());
            }
        }
        stdout.println("attest: results in " + out.resolve("bench.json") + ", JMH JSON in " + jmhDir);
        return AttestCli.OK;
    }
}
