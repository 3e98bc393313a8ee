package dev.attest.reports;

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
import java.util.List;

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
            accuracy.add(new AccuracyResult("cpu-naive", c.name(), 1e-7 * (i + 1), 2e-8 * (i + 1), 1e-7, 4e-7, 0.25 * (i + 1) / 3, true));
            accuracy.add(new AccuracyResult("cpu-batched", c.name(), 2e-7, 4e-8 * (i + 2), 1e-7, 4e-7, batchedRatio, batchedRatio <= 1));
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
            kv.add(new KvCachePoint("cpu-naive", l, 1e-4 * l, 2e-6 * l * l));
            kv.add(new KvCachePoint("cpu-batched", l, 5e-5 * l, 1e-6 * l * l));
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

    static Metric metric(double millis) {
        return new Metric("attention", "ms/op", millis, millis * 0.02, List.of(millis * 0.99, millis, millis * 1.01),
                "primary");
    }
}
