package dev.attest.reports;

import dev.attest.reports.html.HtmlReport;
import dev.attest.reports.model.AccuracyResult;
import dev.attest.reports.model.Environment;
import dev.attest.reports.model.KvCachePoint;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.LinearErrorPoint;
import dev.attest.reports.model.Metric;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.RunInfo;
import dev.attest.reports.model.Status;
import dev.attest.spi.AttentionBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"The main job: conformance check + accuracy sweep + latency benchmark over every available"
                + " backend, then report.json (schema: docs/report-schema.md) and a self-contained report.html."},
        footer = {"", "Examples:", "  ./attest report", "  ./attest report --profile full --out build/attest",
                "  ./attest report --shard 2/4 --out shard-2     (then: ./attest merge shard-*/report.json)"})
public final class ReportCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "attest-out/report",
            description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--profile", defaultValue = "quick", description = "quick (default, a few minutes) or full")
    String profileName;

    @Option(names = "--no-latency", description = "skip the JMH latency sweep (conformance and accuracy only)")
    boolean noLatency;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Profile profile = Profile.parse(profileName);
        if (!spec.commandLine().getParseResult().hasMatchedOption("--tries")) common.tries = profile.tries;
        Shard shard = common.shard();
        CheckCommand.Run check = CheckCommand.check(common, null, stdout, err);
        List<AttentionBackend> backends = common.availableBackends(err);
        Set<String> failed = check.report().conformance().stream().filter(r -> r.status() == Status.FAIL)
                .map(r -> r.backend()).collect(Collectors.toSet());
        List<AccuracyResult> accuracy = Measurements.accuracy(backends, profile, shard, err);
        Path jmhDir = out.resolve("jmh");
        List<LatencyResult> latency = noLatency ? List.of()
                : Measurements.latency(backends, failed, profile, shard, common.jars, jmhDir, err);
        Metric calibration = noLatency ? null : Measurements.calibration(profile, shard, jmhDir);
        List<KvCachePoint> kvCache = noLatency ? List.of() : Measurements.kvCache(backends, failed, profile, shard, err);
        List<LinearErrorPoint> linear = Measurements.linear(profile, shard, !noLatency, err);
        Report report = new Report(Report.SCHEMA_VERSION, Environment.current(),
                new RunInfo("report", profile.label(), check.report().run().seed(), common.tries,
                        shard.whole() ? null : shard.toString(), common.requested(), noLatency ? null : profile.bench),
                check.report().backends(), profile.allConfigs(), check.report().conformance(), accuracy, latency,
                calibration, kvCache, linear).canonical();
        write(report, out);
        stdout.print(Conformance.matrix(report.conformance()));
        CheckCommand.printFailures(report, stdout);
        stdout.println("attest: report written to " + out.resolve("report.html").toAbsolutePath()
                + " (data: " + out.resolve("report.json") + ")");
        return report.failures() > 0 ? AttestCli.FAILED : AttestCli.OK;
    }

    /** Writes report.json and report.html into {@code dir}, each atomically. */
    static void write(Report report, Path dir) {
        ReportJson.write(dir.resolve("report.json"), report);
        AtomicFiles.write(dir.resolve("report.html"), HtmlReport.render(report));
    }
}
