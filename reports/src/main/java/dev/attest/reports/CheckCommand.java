package dev.attest.reports;

import dev.attest.reports.model.Environment;
import dev.attest.reports.model.PropertyResult;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.RunInfo;
import dev.attest.reports.model.Status;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Runs the conformance properties (the ones `./build test` runs, through the JUnit Platform"
                + " launcher) against the chosen backends, each backend in a worker JVM of its own, and prints a"
                + " property x backend matrix (pass / FAIL / unsupported / unavailable).",
                "Exits 1 on any failure, printing the shrunk counterexample and its reproduce line; a backend that"
                        + " exits, crashes, runs out of memory or hangs its worker is a failure of that backend."},
        footer = {"", "Examples:", "  ./attest check",
                "  ./attest check --backend cpu-naive --tries 200 --seed 42 --junit-xml out/TEST-attest.xml",
                "  ./attest check --jar my-backend.jar --backend my-backend --timeout 60",
                "  ./attest check --jar my-backend.jar --backend my-backend --property NAME --replay KEY",
                "", "Exit codes: 0 conforms, 1 a failure, 2 bad usage or input."})
public final class CheckCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the results as Attest JSON (report schema)")
    Path json;

    @Option(names = "--junit-xml", paramLabel = "FILE", description = "also write a JUnit XML report (for CI)")
    Path junitXml;

    @Option(names = "--log", paramLabel = "FILE", defaultValue = "attest-out/conformance.log",
            description = "where the property statistics go (default: ${DEFAULT-VALUE})")
    Path log;

    @Option(names = "--property", paramLabel = "NAME", description = "run only this property (with --replay: the"
            + " property a failure's reproduce line names)")
    String property;

    @Option(names = "--replay", paramLabel = "KEY", description = "rerun exactly the case of a failure's reproduce line"
            + " (needs --property and one --backend)")
    String replay;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        OutputPaths.checkFile("--json", json);
        OutputPaths.checkFile("--junit-xml", junitXml);
        OutputPaths.checkFile("--log", log);
        if (replay != null && (property == null || BackendSelection.wanted(common.backendNames).size() != 1)) {
            throw new UsageException("--replay needs --property NAME and exactly one --backend (both are on the"
                    + " failure's reproduce line)");
        }
        Run run = check(common, junitXml, property, replay, out, err);
        if (json != null) ReportJson.write(json, run.report());
        AtomicFiles.write(log, run.outcome().log());
        out.print(Conformance.matrix(run.report().conformance()));
        printFailures(run.report(), out);
        if (json != null) out.println("attest: results in " + json);
        out.println("attest: property statistics in " + log);
        return run.report().failures() > 0 ? AttestCli.FAILED : AttestCli.OK;
    }

    record Run(Report report, Conformance.Outcome outcome, Discovery.Selection selection, RunSettings settings) {
    }

    /** The check shared by check and report: discovers and selects backends, runs the suite, returns a report. */
    static Run check(CommonOptions common, Path junitXml, String property, String replay, PrintWriter out,
                     PrintWriter err) {
        return check(common, junitXml, property, replay, null, out, err);
    }

    static Run check(CommonOptions common, Path junitXml, String property, String replay, String profile,
                     PrintWriter out, PrintWriter err) {
        long seed = common.seed();
        RunSettings settings = common.settings(seed, profile, replay, property, reproduceLine(common));
        Discovery.Selection selection = common.selection(settings, err);
        Shard shard = common.shard();
        List<String> names = selection.softmax().stream().map(ProviderInfo::name).toList();
        List<String> linearNames = selection.linear().stream().map(ProviderInfo::name).toList();
        out.println("attest: conformance of " + String.join(",", names)
                + (linearNames.isEmpty() ? "" : " and linear " + String.join(",", linearNames)) + ", seed " + seed
                + ", tries " + settings.tries() + " per property" + (shard.whole() ? "" : ", shard " + shard)
                + ", timeout " + settings.timeoutSeconds() + " s, each backend in its own JVM");
        out.flush();
        int expected = property != null ? selection.all().size()
                : (names.size() * CommonOptions.PROPERTY_COUNT_HINT
                + linearNames.size() * CommonOptions.LINEAR_PROPERTY_COUNT_HINT) / shard.count();
        Conformance.Outcome outcome = Conformance.run(settings, selection.all(), selection.failures(), junitXml, err,
                expected);
        List<PropertyResult> results = outcome.results();
        if (property != null && outcome.results().stream().noneMatch(r -> r.property().equals(property))) {
            throw new UsageException("--property " + property + ": no such property in the kit (the names are the"
                    + " rows of `attest check`'s matrix)");
        }
        Report report = new Report(Report.SCHEMA_VERSION, Environment.current(),
                new RunInfo("check", profile, seed, settings.tries(), shard.whole() ? null : shard.toString(),
                        common.requested(), null),
                CommonOptions.infos(selection.all()), List.of(), results, List.of(), List.of(), null, List.of(),
                List.of()).canonical();
        return new Run(report, outcome, selection, settings);
    }

    /**
     * The reproduce line a kit failure prints when it runs under this CLI: an {@code attest check} command with the
     * same jars, seed and tries, so a third-party backend's failure replays from its jar (a {@code ./build test}
     * line would lack it on the class path).
     */
    private static String reproduceLine(CommonOptions common) {
        StringBuilder line = new StringBuilder("./attest check");
        for (Path jar : common.jars) line.append(" --jar ").append(jar.toAbsolutePath());
        line.append(" --backend {backend} --property {property} --replay {key} --tries ").append(common.tries);
        if (common.timeoutSeconds != 300) line.append(" --timeout ").append(common.timeoutSeconds);
        return line.toString();
    }

    static void printFailures(Report report, PrintWriter out) {
        report.conformance().stream().filter(r -> r.status() == Status.FAIL).forEach(r -> {
            out.println();
            out.println("FAIL " + r.backend() + " " + r.property());
            out.println(r.message());
        });
        report.failedMeasurements().forEach(i -> {
            out.println();
            out.println("FAIL " + i.backend() + " " + i.item());
            out.println(i.message());
        });
        out.flush();
    }
}
