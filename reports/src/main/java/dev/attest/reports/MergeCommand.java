package dev.attest.reports;

import dev.attest.reports.model.KvCachePoint;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.LengthSweepPoint;
import dev.attest.reports.model.MachineState;
import dev.attest.reports.model.Performance;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Merges the reports of the shards of one run (--shard I/N on check, bench or report, spread"
                + " over a CI matrix) into one report, equal to a single-machine run's, and renders its HTML.",
                "Refuses (exit 2) anything but every shard 1..N of one run, each once: a shard missing or given"
                        + " twice, shards of different N, or of runs that differ in command, profile, seed, tries,"
                        + " backend selection, bench settings, Attest version or backends seen; and a report that is"
                        + " not a shard together with others."},
        footer = {"", "Example:", "  ./attest merge shard-1/report.json shard-2/report.json --out merged"})
public final class MergeCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "REPORT")
    List<Path> reports;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "attest-out/merged",
            description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** A report to merge and the file it came from, which every refusal names. */
    public record Part(String file, Report report) {
    }

    @Override
    public Integer call() {
        Report merged = merge(reports.stream().map(f -> new Part(f.toString(), ReportJson.read(f))).toList());
        ReportCommand.write(merged, out);
        spec.commandLine().getOut().print(Conformance.matrix(merged.conformance()));
        if (merged.faultDetection() != null) FaultsCommand.printSummary(merged.faultDetection(), spec.commandLine().getOut());
        spec.commandLine().getOut().println("attest: merged report written to "
                + out.resolve("report.html").toAbsolutePath());
        return ReportCommand.failed(merged) ? AttestCli.FAILED : AttestCli.OK;
    }

    /**
     * Unions the shards' items once they form a whole run ({@link ShardSet#complete}); the environment, calibration,
     * fault-detection and performance sections are shard 1's (each shard bounded its own figures by its own
     * roofline; the page reads them against shard 1's). Latency of a backend that failed a
     * property in any shard is dropped, as a single run would never have measured it.
     */
    public static Report merge(List<Part> parts) {
        List<Report> shards = ShardSet.complete(parts).stream().map(Part::report).toList();
        Report first = shards.getFirst();
        List<Object> backends = new ArrayList<>(), configs = new ArrayList<>(), conformance = new ArrayList<>(),
                accuracy = new ArrayList<>(), latency = new ArrayList<>(), kvCache = new ArrayList<>(),
                linear = new ArrayList<>(), issues = new ArrayList<>();
        for (Report p : shards) {
            backends.addAll(p.backends());
            configs.addAll(p.configs());
            conformance.addAll(p.conformance());
            accuracy.addAll(p.accuracy());
            latency.addAll(p.latency());
            kvCache.addAll(p.kvCache());
            linear.addAll(p.linearAttention());
            issues.addAll(p.measurementIssues());
        }
        @SuppressWarnings("unchecked")
        Report merged = new Report(Report.SCHEMA_VERSION, first.environment(), first.run().withShard(null),
                (List) backends, (List) configs, (List) conformance, (List) accuracy, (List) latency,
                first.calibration(), (List) kvCache, (List) linear, null, (List) issues).canonical();
        List<LatencyResult> kept = merged.latency().stream().filter(l -> merged.conforms(l.backend())).toList();
        List<KvCachePoint> keptKv = merged.kvCache().stream().filter(p -> merged.conforms(p.backend())).toList();
        return new Report(merged.schemaVersion(), merged.environment(), merged.run(), merged.backends(),
                merged.configs(), merged.conformance(), merged.accuracy(), kept, merged.calibration(),
                keptKv, merged.linearAttention(), first.faultDetection(), merged.measurementIssues(),
                performance(shards));
    }

    /**
     * Shard 1's roofline, baseline and machine, every shard's length-sweep points, and a busy verdict when any
     * shard's machine was busy (each shard named): one busy shard distorts the merged figures it measured.
     */
    static Performance performance(List<Report> shards) {
        Performance first = shards.getFirst().performance();
        if (first == null) return null;
        List<LengthSweepPoint> sweep = new ArrayList<>();
        List<String> busy = new ArrayList<>();
        for (int i = 0; i < shards.size(); i++) {
            Performance p = shards.get(i).performance();
            if (p == null) continue;
            sweep.addAll(p.lengthSweep());
            if (p.machine() != null && p.machine().busy() != null) busy.add("shard " + (i + 1) + ": " + p.machine().busy());
        }
        sweep.sort(java.util.Comparator.comparing(LengthSweepPoint::series).thenComparingInt(LengthSweepPoint::length));
        MachineState m = first.machine();
        if (m != null && !busy.isEmpty()) {
            m = new MachineState(m.cpuModel(), m.vectorBits(), m.cores(), m.jvmFlags(), m.loadBefore(), m.loadAfter(),
                    m.stealPercent(), m.othersCoresMean(), m.othersCoresMax(), String.join("; ", busy));
        }
        return first.withMachine(m).withLengthSweep(sweep);
    }
}
