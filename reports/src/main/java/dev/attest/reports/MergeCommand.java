package dev.attest.reports;

import dev.attest.faults.FaultDetection;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.Metric;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.RunInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Merges the reports of the shards of one run (--shard I/N on check, bench or report, spread"
                + " over a CI matrix) into one report, equal to a single-machine run's, and renders its HTML."},
        footer = {"", "Example:", "  ./attest merge shard-1/report.json shard-2/report.json --out merged"})
public final class MergeCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "REPORT")
    List<Path> reports;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "attest-out/merged",
            description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        List<Report> parts = reports.stream().map(ReportJson::read).toList();
        Report merged = merge(parts);
        ReportCommand.write(merged, out);
        spec.commandLine().getOut().print(Conformance.matrix(merged.conformance()));
        if (merged.faultDetection() != null) FaultsCommand.printSummary(merged.faultDetection(), spec.commandLine().getOut());
        spec.commandLine().getOut().println("attest: merged report written to "
                + out.resolve("report.html").toAbsolutePath());
        return ReportCommand.failed(merged) ? AttestCli.FAILED : AttestCli.OK;
    }

    /**
     * Unions the shards' items. The shards must come from one run (same command, profile, seed, tries and shard
     * count); the environment, calibration and fault-detection section come from shard 1 (or, for the latter two,
     * from the first shard that has one). Latency of a backend that failed a property in any shard is dropped, as a
     * single run would never have measured it.
     */
    public static Report merge(List<Report> parts) {
        if (parts.isEmpty()) throw new UsageException("merge needs at least one report");
        Report first = parts.stream().filter(p -> p.run() != null && (p.run().shard() == null
                || p.run().shard().startsWith("1/"))).findFirst().orElse(parts.getFirst());
        RunInfo run = first.run();
        List<Object> backends = new ArrayList<>(), configs = new ArrayList<>(), conformance = new ArrayList<>(),
                accuracy = new ArrayList<>(), latency = new ArrayList<>(), kvCache = new ArrayList<>(),
                linear = new ArrayList<>();
        Metric calibration = null;
        java.util.Set<String> seen = new java.util.TreeSet<>();
        for (Report p : parts) {
            RunInfo r = p.run();
            if (run != null && r != null && (!r.command().equals(run.command()) || r.seed() != run.seed()
                    || r.tries() != run.tries() || !java.util.Objects.equals(r.profile(), run.profile()))) {
                throw new UsageException("cannot merge reports of different runs (command, profile, seed or tries"
                        + " differ): " + r.command() + "/" + r.profile() + "/" + r.seed() + " vs " + run.command()
                        + "/" + run.profile() + "/" + run.seed());
            }
            if (r != null && r.shard() != null && !seen.add(r.shard())) {
                throw new UsageException("shard " + r.shard() + " is given twice");
            }
            backends.addAll(p.backends());
            configs.addAll(p.configs());
            conformance.addAll(p.conformance());
            accuracy.addAll(p.accuracy());
            latency.addAll(p.latency());
            kvCache.addAll(p.kvCache());
            linear.addAll(p.linearAttention());
            if (calibration == null) calibration = p.calibration();
        }
        if (first.calibration() != null) calibration = first.calibration();
        FaultDetection faultDetection = first.faultDetection() != null ? first.faultDetection()
                : parts.stream().map(Report::faultDetection).filter(java.util.Objects::nonNull).findFirst().orElse(null);
        @SuppressWarnings("unchecked")
        Report merged = new Report(Report.SCHEMA_VERSION, first.environment(),
                run == null ? null : new RunInfo(run.command(), run.profile(), run.seed(), run.tries(), null,
                        run.requested(), run.bench()),
                (List) backends, (List) configs, (List) conformance, (List) accuracy, (List) latency, calibration,
                (List) kvCache, (List) linear).canonical();
        List<LatencyResult> kept = merged.latency().stream().filter(l -> merged.conforms(l.backend())).toList();
        List<dev.attest.reports.model.KvCachePoint> keptKv = merged.kvCache().stream()
                .filter(p -> merged.conforms(p.backend())).toList();
        return new Report(merged.schemaVersion(), merged.environment(), merged.run(), merged.backends(),
                merged.configs(), merged.conformance(), merged.accuracy(), kept, merged.calibration(),
                keptKv, merged.linearAttention(), faultDetection);
    }
}
