package dev.attest.reports;

import dev.attest.faults.Catalog;
import dev.attest.faults.FaultDetection;
import dev.attest.faults.FaultDetection.Cell;
import dev.attest.faults.FaultDetection.MutantResult;
import dev.attest.faults.FaultDetection.Outcome;
import dev.attest.faults.KillMatrixFiles;
import dev.attest.faults.Mutant;
import dev.attest.reports.model.AccuracyResult;
import dev.attest.reports.model.BackendInfo;
import dev.attest.reports.model.Environment;
import dev.attest.reports.model.KvCachePoint;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.LinearErrorPoint;
import dev.attest.reports.model.Metric;
import dev.attest.reports.model.PropertyResult;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.RunInfo;
import dev.attest.reports.model.Status;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Hand-made reports: a fixed environment and figures, so rendering and comparing are testable without running. */
final class Fixtures {
    private Fixtures() {
    }

    static Report report(double naiveMillis, double calibrationMillis, Status s7OfBatched, double batchedRatio) {
        Profile profile = Profile.QUICK;
        Environment env = new Environment("test-machine", "Linux 6", "amd64", 2, 4096, "Test VM", "25", "0.1.0");
        List<PropertyResult> conformance = List.of(
                new PropertyResult("cpu-batched", "required_S1_every_output_element_is_written", Status.PASS, null),
                new PropertyResult("cpu-batched", "required_S7_agrees_with_the_oracle", s7OfBatched,
                        s7OfBatched == Status.FAIL ? "failure : outside the tolerance model\nreproduce : ./build test" : null),
                new PropertyResult("cpu-naive", "required_S1_every_output_element_is_written", Status.PASS, null),
                new PropertyResult("cpu-naive", "required_S7_agrees_with_the_oracle", Status.PASS, null),
                new PropertyResult("cpu-naive", "required_S6_the_layer_agrees_with_the_oracle", Status.UNSUPPORTED,
                        "unsupported: LAYER"));
        List<AccuracyResult> accuracy = new ArrayList<>();
        List<LatencyResult> latency = new ArrayList<>();
        int i = 0;
        for (var c : profile.accuracyConfigs) {
            accuracy.add(new AccuracyResult("cpu-naive", c.name(), c.types(), 1e-7 * (i + 1), 2e-8 * (i + 1), 1.0 + i, 1e-7, 4e-7, 0.25 * (i + 1) / 3, true));
            accuracy.add(new AccuracyResult("cpu-batched", c.name(), c.types(), 2e-7, 4e-8 * (i + 2), 2.0, 1e-7, 4e-7, batchedRatio, batchedRatio <= 1));
            i++;
        }
        for (var c : profile.allConfigs()) {
            double work = c.flops() / 1e6;
            latency.add(new LatencyResult("cpu-naive", c.name(), metric(naiveMillis * work)));
            latency.add(new LatencyResult("cpu-batched", c.name(), metric(naiveMillis * work / 3)));
        }
        return new Report(Report.SCHEMA_VERSION, env, new RunInfo("report", "quick", 42, 20, null, List.of("all"),
                profile.bench), List.of(new BackendInfo("cpu-batched", "batched", "fp32", true, null),
                new BackendInfo("cpu-naive", "naive", "fp32", true, null)), profile.allConfigs(), conformance,
                accuracy, latency, metric(calibrationMillis), List.of(), List.of()).canonical();
    }

    /** {@code report} with a KV-cache series and a linear-attention sweep, as a quick run of those would give. */
    static Report withKvAndLinear(Report report) {
        List<KvCachePoint> kv = new ArrayList<>();
        for (int l : Profile.QUICK.kvLengths()) {
            kv.add(kvPoint("cpu-naive", l, 1e-4 * l, 2e-6 * l * l));
            kv.add(kvPoint("cpu-batched", l, 5e-5 * l, 1e-6 * l * l));
        }
        List<LinearErrorPoint> linear = new ArrayList<>();
        for (int m : Profile.QUICK.linearSweep().features()) {
            linear.add(new LinearErrorPoint("linear-parallel", "favor+ iid", 64, m, 1.0 / Math.sqrt(m), 3.0 / Math.sqrt(m),
                    2.0 / m, 2.1 / m, 0.001 * m));
            linear.add(new LinearErrorPoint("linear-parallel", "favor+ orthogonal", 64, m, 0.7 / Math.sqrt(m),
                    2.0 / Math.sqrt(m), 1.2 / m, null, 0.001 * m));
        }
        return new Report(report.schemaVersion(), report.environment(), report.run(), report.backends(),
                report.configs(), report.conformance(), report.accuracy(), report.latency(), report.calibration(), kv,
                linear).canonical();
    }

    static KvCachePoint kvPoint(String backend, int length, double decode, double recompute) {
        return new KvCachePoint(backend, length, decode, recompute, metric(decode).interval(), metric(recompute).interval());
    }

    /** A steady timing: ten samples within ±1%, so its interval is narrow and it is reliable. */
    static Metric metric(double millis) {
        List<Double> samples = new ArrayList<>();
        for (int k = 0; k < 10; k++) samples.add(millis * (0.99 + 0.02 * k / 9));
        return new Metric("attention", "ms/op", millis, millis * 0.02, samples, "primary",
                dev.attest.reports.timing.Intervals.of(samples));
    }

    /** A timing from a busy machine: ten samples spread over ±60%, so its interval is far wider than 20%. */
    static Metric noisyMetric(double millis) {
        List<Double> samples = new ArrayList<>();
        for (int k = 0; k < 10; k++) samples.add(millis * (0.4 + 1.2 * k / 9));
        return new Metric("attention", "ms/op", millis, millis * 0.6, samples, "primary",
                dev.attest.reports.timing.Intervals.of(samples));
    }

    static final String S1 = "required_S1_shapes_with_all_dimensions_different_agree_with_the_oracle";
    static final String S1G = "required_S1_gqa_equals_mha_with_repeat_interleaved_key_value_heads";
    static final String S2 = "required_S2_scale_s_equals_queries_premultiplied_by_s";
    static final String S7 = "required_S7_agrees_with_the_oracle_within_the_tolerance_model";
    static final String S9 = "required_S9_any_split_into_chunks_gives_the_outputs_of_one_full_causal_pass";
    static final String L1 = "required_L1_output_agrees_with_the_linear_oracle_within_the_tolerance_model";
    static final String L3 = "optional_L3_the_chunk_size_does_not_change_the_result";

    /**
     * A hand-made kill matrix of four planted bugs: scale-missing (killed by S1 at case 3 and S7 at case 2),
     * cache-stale (killed by S9 at case {@code cacheStaleCases}, or surviving when that is 0), heads-tokens-swapped
     * (killed by two S1 properties, S2 and S7) and linear-no-normaliser (killed by L1 at case 1). Cells are in
     * property-name order, as KillMatrix writes them.
     */
    static FaultDetection faults(int cacheStaleCases) {
        MutantResult scale = row("scale-missing", Mutant.Kit.SOFTMAX, "the 1/sqrt(d) scale missing",
                "https://github.com/mlc-ai/mlc-llm/pull/3426 (missing 1/sqrt(d) scaling); not located elsewhere",
                cells(S1, killed(3, "B=1 Hq=1 Sq=1 Skv=2 D=1", 2), S7, killed(2, "B=1 Hq=1 Sq=1 Skv=2 D=2", 4),
                        S9, new Cell(Outcome.NOT_APPLICABLE, null, null, null, 1)));
        MutantResult stale = row("cache-stale", Mutant.Kit.SOFTMAX, "a stale cache: decodes not written",
                "https://github.com/tenstorrent/tt-metal/issues/54413",
                cells(S1, survived(), S7, survived(), S9, cacheStaleCases == 0 ? survived()
                        : killed(cacheStaleCases, "cache B=1 chunks [2, 1]", 36)));
        MutantResult swapped = row("heads-tokens-swapped", Mutant.Kit.SOFTMAX, "heads and tokens transposed", "not located",
                cells(S1G, killed(2, "B=1 Hq=4 Sq=1 Skv=2 D=1", 8), S1, killed(1, "B=2 Hq=3 Sq=5 Skv=7 D=4", 840),
                        S2, killed(1, "B=1 Hq=2 Sq=2 Skv=2 D=1", 8), S7, killed(1, "B=1 Hq=2 Sq=2 Skv=1 D=1", 4),
                        S9, new Cell(Outcome.NOT_APPLICABLE, null, null, null, 1)));
        MutantResult linear = row("linear-no-normaliser", Mutant.Kit.LINEAR, "forgets to divide by q·z", "not located",
                cells(L3, survived(), L1, killed(1, "linear B=1 S=1", 1)));
        return FaultDetection.of(20261123, 100, 61.47, List.of(scale, stale, swapped, linear));
    }

    /**
     * A kill matrix of the whole current catalog, as {@code attest report --kill-matrix} requires: a cell for every
     * property of each mutant's kit, each mutant killed by its pinned property (or its kit's first) and surviving
     * the rest; the mutants named in {@code survivors} survive every property.
     */
    static FaultDetection wholeCatalog(String... survivors) {
        List<MutantResult> rows = new ArrayList<>();
        for (Mutant m : Catalog.all()) {
            List<String> properties = KillMatrixFiles.properties(m.kit());
            String killer = m.expectedKiller() != null ? m.expectedKiller() : properties.getFirst();
            Map<String, Cell> cells = new LinkedHashMap<>();
            for (String p : properties) {
                cells.put(p, p.equals(killer) && !List.of(survivors).contains(m.id()) ? killed(4, "B=1 Hq=1 Sq=1 Skv=2 D=1", 2)
                        : survived());
            }
            rows.add(MutantResult.of(m.id(), m.kit(), m.description(), m.reportedAt(), 1.0, null, cells));
        }
        return FaultDetection.of(20261123, 100, 42.0, rows);
    }

    /** {@code report} as shard {@code shard} ("I/N") of its run. */
    static Report shard(Report report, String shard) {
        return withRun(report, report.run().withShard(shard));
    }

    /** {@code report} with {@code run} as its run section. */
    static Report withRun(Report report, RunInfo run) {
        return new Report(report.schemaVersion(), report.environment(), run, report.backends(), report.configs(),
                report.conformance(), report.accuracy(), report.latency(), report.calibration(), report.kvCache(),
                report.linearAttention(), report.faultDetection());
    }

    /** {@code report} with {@code faults} as its fault-detection section. */
    static Report withFaults(Report report, FaultDetection faults) {
        return report.withFaultDetection(faults);
    }

    private static Cell killed(int cases, String shrunk, long size) {
        return new Cell(Outcome.KILLED, cases, shrunk, size, 10L * cases);
    }

    private static Cell survived() {
        return new Cell(Outcome.SURVIVED, null, null, null, 50);
    }

    private static Map<String, Cell> cells(Object... keysAndCells) {
        Map<String, Cell> cells = new LinkedHashMap<>();
        for (int i = 0; i < keysAndCells.length; i += 2) cells.put((String) keysAndCells[i], (Cell) keysAndCells[i + 1]);
        return cells;
    }

    private static MutantResult row(String id, Mutant.Kit kit, String description, String reportedAt, Map<String, Cell> cells) {
        return MutantResult.of(id, kit, description, reportedAt, 1.5, null, cells);
    }
}
