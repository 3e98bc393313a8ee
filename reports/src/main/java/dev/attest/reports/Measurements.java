package dev.attest.reports;

import dev.attest.reports.machine.MachineMonitor;
import dev.attest.reports.model.AccuracyResult;
import dev.attest.reports.model.BackendInfo;
import dev.attest.reports.model.Performance;
import dev.attest.reports.model.Roofline;
import dev.attest.reports.model.KvCachePoint;
import dev.attest.reports.model.LinearErrorPoint;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.LengthSweepPoint;
import dev.attest.reports.model.Metric;
import dev.attest.reports.model.MeasurementIssue;
import dev.attest.reports.model.Status;
import dev.attest.spi.LinearAttentionBackend;
import dev.attest.spi.LinearBackends;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The measurements of a run: accuracy, latency and KV-cache decode in workers; the linear sweep and calibration here. */
final class Measurements {
    private Measurements() {
    }

    /** What the measurement workers produced: figures, and the measurements not taken (with why). */
    record Measured(List<AccuracyResult> accuracy, List<LatencyResult> latency, List<KvCachePoint> kvCache,
                    List<MeasurementIssue> issues) {
    }

    /**
     * Accuracy (when {@code accuracy}) and latency with KV-cache decode (when {@code latency}) of each backend, each
     * backend in a worker JVM of its own; backends in {@code excluded} (failed conformance) get no speed figure.
     * A worker that ends early is a failed {@code (worker)} item of its backend; the others' figures stand.
     */
    static Measured measure(RunSettings settings, List<ProviderInfo> backends, Set<String> excluded, Profile profile,
                            Shard shard, boolean accuracy, boolean latency, Path jmhDir, PrintWriter err) {
        List<AccuracyResult> acc = new ArrayList<>();
        List<LatencyResult> lat = new ArrayList<>();
        List<KvCachePoint> kv = new ArrayList<>();
        List<MeasurementIssue> issues = new ArrayList<>();
        int expected = 0;
        for (ProviderInfo b : backends) {
            if (accuracy) expected += (int) profile.accuracyConfigs.stream()
                    .filter(c -> shard.owns(b.name(), "accuracy:" + c.name())).count();
            if (latency && !excluded.contains(b.name())) expected += (int) profile.allConfigs().stream()
                    .filter(c -> shard.owns(b.name(), "latency:" + c.name())).count()
                    + (!shard.owns(b.name(), "kv-cache") ? 0           // a point per length, or one "unsupported"
                    : b.features().contains("KV_CACHE") ? profile.kvLengths().length : 1);
        }
        Progress progress = new Progress(err, "measure", expected);
        try {
            for (ProviderInfo b : backends) {
                boolean timed = latency && !excluded.contains(b.name());
                if (!accuracy && !timed) continue;
                WorkerRequest request = WorkerRequest.measure(settings, b, accuracy, timed,
                        jmhDir == null ? null : jmhDir.toAbsolutePath().toString());
                Supervisor.Outcome outcome = Supervisor.run(request, e -> {
                    progress.step(e.describe());
                    if (e.issue() != null && e.issue().status() == Status.FAIL) {
                        err.println("attest: " + e.issue().message().lines().findFirst().orElse(""));
                    }
                });
                for (WorkerEvent e : outcome.events()) {
                    if (e.accuracy() != null) acc.add(e.accuracy());
                    if (e.latency() != null) lat.add(e.latency());
                    if (e.kvCache() != null) kv.add(e.kvCache());
                    if (e.issue() != null) issues.add(e.issue());
                    if (e.property() != null) {     // the worker failed outside any item
                        issues.add(new MeasurementIssue(b.name(), e.property().property(), Status.FAIL,
                                e.property().message()));
                    }
                }
                if (!outcome.finished()) {
                    issues.add(new MeasurementIssue(b.name(), Conformance.WORKER_CELL, Status.FAIL,
                            b.name() + " " + outcome.failure()));
                    err.println("attest: " + b.name() + " " + outcome.failure());
                }
            }
        } finally {
            progress.finish();
            Supervisor.cleanUp();
        }
        return new Measured(acc, lat, kv, issues);
    }

    /**
     * The linear-attention sweep (error against m, FAVOR+ i.i.d. and orthogonal, Lemma 2 theory) on
     * {@link LinearSweep#BACKEND} when it is discovered, as work item {@code linear-parallel/linear-sweep};
     * {@code timed}: also the forward pass's latency at each m; an integrity failure is added to {@code failures}.
     */
    static List<LinearErrorPoint> linear(Profile profile, Shard shard, boolean timed, List<MeasurementIssue> failures,
                                         PrintWriter err) {
        if (!shard.owns(LinearSweep.BACKEND, "linear-sweep")) return List.of();
        LinearAttentionBackend backend = LinearBackends.discover().stream()
                .filter(b -> b.name().equals(LinearSweep.BACKEND)).findFirst().orElse(null);
        if (backend == null) return List.of();
        Progress progress = new Progress(err, "linear attention", 1);
        LinearSweep.Outcome outcome = LinearSweep.run(backend, profile.linearSweep(), timed ? profile.timing() : null);
        List<LinearErrorPoint> out = outcome.points();
        if (outcome.integrityFailure() != null) {
            failures.add(new MeasurementIssue(backend.name(), "linear-sweep", Status.FAIL, backend.name()
                    + " gets no latency figure: " + outcome.integrityFailure()));
        }
        progress.step(backend.name() + " m=" + java.util.Arrays.toString(profile.linearSweep().features()));
        progress.finish();
        return out;
    }

    /**
     * Linear against softmax as the sequence grows ({@link LengthSweep}): {@link LengthSweep#SOFTMAX_BACKEND} and
     * every linear backend of the selection that conforms, each in a worker JVM of its own (a fresh JIT, and a
     * backend that ends its JVM ends only its worker), as work item {@code length-sweep} of that backend. Unsupported
     * forms and failures are added to {@code issues}.
     */
    static List<LengthSweepPoint> lengthSweep(RunSettings settings, List<ProviderInfo> softmax,
                                              List<ProviderInfo> linear, Set<String> excluded, Shard shard,
                                              List<MeasurementIssue> issues, PrintWriter err) {
        List<ProviderInfo> swept = new ArrayList<>();
        softmax.stream().filter(b -> b.name().equals(LengthSweep.SOFTMAX_BACKEND)).forEach(swept::add);
        linear.stream().filter(ProviderInfo::available).forEach(swept::add);
        swept.removeIf(b -> excluded.contains(b.name()) || !shard.owns(b.name(), LengthSweep.ITEM));
        if (swept.isEmpty()) return List.of();
        List<LengthSweepPoint> points = new ArrayList<>();
        Progress progress = new Progress(err, "length sweep", swept.size());
        try {
            for (ProviderInfo b : swept) {
                Supervisor.Outcome outcome = Supervisor.run(WorkerRequest.lengthSweep(settings, b), e -> {
                    if (e.issue() != null && e.issue().status() == Status.FAIL) {
                        err.println("attest: " + e.issue().message().lines().findFirst().orElse(""));
                    }
                });
                for (WorkerEvent e : outcome.events()) {
                    if (e.lengthSweep() != null) points.add(e.lengthSweep());
                    if (e.issue() != null) issues.add(e.issue());
                    if (e.property() != null) {
                        issues.add(new MeasurementIssue(b.name(), LengthSweep.ITEM, Status.FAIL, e.property().message()));
                    }
                }
                if (!outcome.finished()) {
                    issues.add(new MeasurementIssue(b.name(), LengthSweep.ITEM, Status.FAIL, b.name() + " "
                            + outcome.failure()));
                    err.println("attest: " + b.name() + " " + outcome.failure());
                }
                progress.step(b.name() + " up to n=" + points.stream().filter(p -> p.backend().equals(b.name()))
                        .mapToInt(LengthSweepPoint::length).max().orElse(0));
            }
        } finally {
            progress.finish();
            Supervisor.cleanUp();
        }
        return points;
    }

    /**
     * The baseline backend speeds are given as ratios to: {@code requested} when given (it must be one of
     * {@code backends}), else onnxruntime when it is measured, else cpu-naive, else the first backend.
     */
    static String baseline(String requested, List<ProviderInfo> backends) {
        List<String> names = backends.stream().map(ProviderInfo::name).toList();
        if (requested != null) {
            if (!names.contains(requested)) {
                throw new UsageException("--baseline " + requested + ": not a backend of this run (" + String.join(", ",
                        names) + ")");
            }
            return requested;
        }
        for (String preferred : List.of("onnxruntime", "cpu-naive")) if (names.contains(preferred)) return preferred;
        return names.isEmpty() ? null : names.getFirst();
    }

    /**
     * The latency figures that pass the roofline bound, the performance section, and the issues of the others:
     * the FMA roofline is measured by every shard that times anything (its bound applies to its own figures).
     */
    record Speed(List<LatencyResult> latency, Performance performance, List<MeasurementIssue> implausible) {
    }

    static Speed speed(Profile profile, List<LatencyResult> latency, List<BackendInfo> backends, String baseline,
                       Path jmhDir, PrintWriter err) {
        Progress progress = new Progress(err, "FMA roofline", 1);
        int threads = Runtime.getRuntime().availableProcessors();
        Roofline roofline = Latency.roofline(profile.bench, jmhDir, threads);
        progress.step(String.format(java.util.Locale.ROOT, "%.1f GFLOP/s on 1 thread, %.1f on %d",
                roofline.oneThreadGflops(), roofline.peakGflops(), threads));
        progress.finish();
        Plausibility.Judged judged = Plausibility.judge(latency, profile.allConfigs(), backends, roofline);
        judged.implausible().forEach(i -> err.println("attest: " + i.message()));
        return new Speed(judged.kept(), new Performance(roofline, baseline), judged.implausible());
    }

    /** {@code performance} with the machine's state over the run, said on stderr when it was busy. */
    static Performance machineState(Performance performance, MachineMonitor machine, PrintWriter err) {
        Performance out = performance.withMachine(machine.stop());
        if (out.machine().busy() != null) {
            err.println("attest: the machine was busy: " + out.machine().busy() + "; timings may not be the code's"
                    + " speed");
        }
        return out;
    }

    /** The calibration benchmark, run by the first shard only (merge keeps it). */
    static Metric calibration(Profile profile, Shard shard, Path jmhDir) {
        if (shard.index() != 1) return null;
        return Latency.calibration(profile.bench, jmhDir == null ? null : jmhDir.resolve("calibration.json"));
    }
}
