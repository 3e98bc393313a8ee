package dev.attest.reports;

import dev.attest.faults.Catalog;
import dev.attest.faults.FaultDetection;
import dev.attest.faults.KillMatrix;
import dev.attest.reports.html.HtmlReport;
import dev.attest.reports.machine.MachineMonitor;
import dev.attest.reports.model.Environment;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.LinearErrorPoint;
import dev.attest.reports.model.MeasurementIssue;
import dev.attest.reports.model.Performance;
import dev.attest.reports.model.Metric;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.RunInfo;
import dev.attest.reports.model.Status;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"The main job: conformance check + fault detection (the kill matrix of the planted-bug"
                + " catalog) + accuracy sweep + latency benchmark over every available backend, then report.json"
                + " (schema: docs/report-schema.md) and a self-contained report.html.",
                "Exits 1 when a backend fails a property or a planted bug survives every property."},
        footer = {"", "Examples:", "  ./attest report", "  ./attest report --profile full --out build/attest",
                "  ./attest report --kill-matrix faults/target/kill-matrix.json   (the build's matrix, not rerun)",
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

    @Option(names = "--no-fault-detection",
            description = "skip the kill matrix (about a minute on 2 cores): the report gets no fault-detection section")
    boolean noFaultDetection;

    @Option(names = "--kill-matrix", paramLabel = "FILE", description = "show this kill matrix (the kill-matrix.json"
            + " the build writes in faults/target, or attest faults writes) instead of running it again; it must be"
            + " of the whole current catalog (every mutant, every applicable property)")
    Path killMatrix;

    @Option(names = "--baseline", paramLabel = "BACKEND", description = "the backend every speed is given as a ratio"
            + " to (default: onnxruntime when measured, else cpu-naive)")
    String baseline;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        MachineMonitor machine = MachineMonitor.start();   // the whole run: other work beside it is what distorts
        Profile profile = Profile.parse(profileName);
        if (!spec.commandLine().getParseResult().hasMatchedOption("--tries")) common.tries = profile.tries;
        Shard shard = common.shard();
        if (killMatrix != null && noFaultDetection) {
            throw new UsageException("--kill-matrix and --no-fault-detection exclude each other");
        }
        if (killMatrix != null && shard.index() != 1) {             // one command line for every shard of a CI matrix
            err.println("attest: note: --kill-matrix is checked here but shown by shard 1's report (merge keeps"
                    + " shard 1's fault detection)");
        }
        OutputPaths.checkDir("--out", out);
        FaultDetection given = killMatrix == null ? null : FaultsCommand.read(killMatrix);   // a bad file fails first
        CheckCommand.Run check = CheckCommand.check(common, null, null, null, profile.label(), stdout, err);
        // Fault detection is one work item, done by shard 1 (merge takes it from there), like the calibration.
        boolean faults = !noFaultDetection && shard.index() == 1;
        FaultDetection faultDetection = !faults ? null : given != null ? given
                : FaultsCommand.run(Catalog.all(), check.report().run().seed(), KillMatrix.DEFAULT_TRIES, err);
        check.selection().softmax().stream().filter(b -> !b.available()).forEach(b ->
                err.println("attest: " + b.name() + " is unavailable, not measured: " + b.unavailableReason()));
        Set<String> failed = check.report().conformance().stream().filter(r -> r.status() == Status.FAIL)
                .map(r -> r.backend()).collect(Collectors.toSet());
        Path jmhDir = out.resolve("jmh");
        String baselineBackend = Measurements.baseline(baseline, check.selection().availableSoftmax());
        Measurements.Measured measured = Measurements.measure(check.settings(), check.selection().availableSoftmax(),
                failed, profile, shard, true, !noLatency, jmhDir, err);
        List<MeasurementIssue> issues = new ArrayList<>(measured.issues());
        List<LatencyResult> latency = measured.latency();
        Performance performance = null;
        if (!noLatency) {
            Measurements.Speed speed = Measurements.speed(profile, latency, check.report().backends(), baselineBackend,
                    jmhDir, err);
            latency = speed.latency();
            performance = speed.performance();
            issues.addAll(speed.implausible());
        }
        Metric calibration = noLatency ? null : Measurements.calibration(profile, shard, jmhDir);
        List<LinearErrorPoint> linear = Measurements.linear(profile, shard, !noLatency, issues, err);
        if (performance != null) {
            performance = performance.withLengthSweep(Measurements.lengthSweep(check.settings(),
                    check.selection().availableSoftmax(), check.selection().linear(), failed, shard, issues, err));
            performance = Measurements.machineState(performance, machine, err);
        }
        Report report = new Report(Report.SCHEMA_VERSION, Environment.current(),
                new RunInfo("report", profile.label(), check.report().run().seed(), common.tries,
                        shard.whole() ? null : shard.toString(), common.requested(), noLatency ? null : profile.bench),
                check.report().backends(), profile.allConfigs(), check.report().conformance(), measured.accuracy(),
                latency, calibration, measured.kvCache(), linear, faultDetection, issues, performance)
                .canonical();
        write(report, out);
        stdout.print(Conformance.matrix(report.conformance()));
        CheckCommand.printFailures(report, stdout);
        if (report.faultDetection() != null) FaultsCommand.printSummary(report.faultDetection(), stdout);
        printNotMeasured(report, stdout);
        stdout.println("attest: report written to " + out.resolve("report.html").toAbsolutePath()
                + " (data: " + out.resolve("report.json") + ")");
        return failed(report) ? AttestCli.FAILED : AttestCli.OK;
    }

    /** The workloads a backend does not declare: said once per backend, so nobody reads a missing row as a pass. */
    static void printNotMeasured(Report report, PrintWriter out) {
        report.measurementIssues().stream().filter(i -> i.status() == Status.UNSUPPORTED)
                .collect(Collectors.groupingBy(i -> i.backend(), java.util.TreeMap::new, Collectors.toList()))
                .forEach((backend, issues) -> out.println("attest: " + backend + ": not measured (unsupported): "
                        + issues.stream().map(i -> i.item()).collect(Collectors.joining(", "))));
    }

    /** A report fails on a property failure or on a planted bug that survived every property. */
    static boolean failed(Report report) {
        return report.failures() > 0 || !report.survivingMutants().isEmpty();
    }

    /** Writes report.json and report.html into {@code dir}, each atomically; nothing if the HTML cannot render. */
    static void write(Report report, Path dir) {
        String html = HtmlReport.render(report);
        ReportJson.write(dir.resolve("report.json"), report);
        AtomicFiles.write(dir.resolve("report.html"), html);
    }
}
