package dev.attest.reports;

import dev.attest.reports.model.Environment;
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
                + " launcher) against the chosen backends and prints a property x backend matrix"
                + " (pass / FAIL / unsupported / unavailable).",
                "Exits 1 on any failure, printing the shrunk counterexample and its reproduce line."},
        footer = {"", "Examples:", "  ./attest check",
                "  ./attest check --backend cpu-naive --tries 200 --seed 42 --junit-xml out/TEST-attest.xml",
                "  ./attest check --jar my-backend.jar --backend my-backend"})
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

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Run run = check(common, junitXml, out, err);
        AtomicFiles.write(log, run.outcome().log());
        out.print(Conformance.matrix(run.report().conformance()));
        printFailures(run.report(), out);
        if (json != null) {
            ReportJson.write(json, run.report());
            out.println("attest: results in " + json);
        }
        out.println("attest: property statistics in " + log);
        return run.report().failures() > 0 ? AttestCli.FAILED : AttestCli.OK;
    }

    record Run(Report report, Conformance.Outcome outcome) {
    }

    /** The check shared by check and report: selects backends, runs the suite, returns a report of it. */
    static Run check(CommonOptions common, Path junitXml, PrintWriter out, PrintWriter err) {
        var backends = common.backends();
        var linear = common.linearBackends();
        List<String> names = backends.stream().map(b -> b.name()).toList();
        List<String> linearNames = linear.stream().map(b -> b.name()).toList();
        long seed = common.seed();
        int tries = common.tries;
        Shard shard = common.shard();
        out.println("attest: conformance of " + String.join(",", names)
                + (linearNames.isEmpty() ? "" : " and linear " + String.join(",", linearNames)) + ", seed " + seed
                + ", tries " + tries + " per property" + (shard.whole() ? "" : ", shard " + shard));
        out.flush();
        Conformance.Outcome outcome = Conformance.run(BackendSelection.selectionProperty(names),
                BackendSelection.selectionProperty(linearNames), tries, seed, shard, junitXml, err,
                (backends.size() * CommonOptions.PROPERTY_COUNT_HINT + linear.size() * CommonOptions.LINEAR_PROPERTY_COUNT_HINT)
                        / shard.count());
        Report report = new Report(Report.SCHEMA_VERSION, Environment.current(),
                new RunInfo("check", null, seed, tries, shard.whole() ? null : shard.toString(), common.requested(),
                        null),
                concat(common.backendInfos(backends), common.linearBackendInfos(linear)), List.of(), outcome.results(), List.of(), List.of(), null, List.of(),
                List.of()).canonical();
        return new Run(report, outcome);
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    static void printFailures(Report report, PrintWriter out) {
        report.conformance().stream().filter(r -> r.status() == Status.FAIL).forEach(r -> {
            out.println();
            out.println("FAIL " + r.backend() + " " + r.property());
            out.println(r.message());
        });
        out.flush();
    }
}
