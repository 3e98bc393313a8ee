package dev.attest.reports;

import dev.attest.reports.model.AccuracyResult;
import dev.attest.reports.model.ConfigInfo;
import dev.attest.reports.model.KvCachePoint;
import dev.attest.reports.model.LinearErrorPoint;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.Metric;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Feature;
import dev.attest.spi.LinearAttentionBackend;
import dev.attest.spi.LinearBackends;
import dev.attest.spi.UnsupportedFeatureException;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The accuracy sweep and the latency sweep over a shard's (backend, config) work items. */
final class Measurements {
    private Measurements() {
    }

    static List<AccuracyResult> accuracy(List<AttentionBackend> backends, Profile profile, Shard shard,
                                         PrintWriter err) {
        List<AccuracyResult> out = new ArrayList<>();
        List<Runnable> work = new ArrayList<>();
        for (AttentionBackend b : backends) {
            if (b.unavailableReason().isPresent()) continue;
            for (ConfigInfo c : profile.accuracyConfigs) {
                if (shard.owns(b.name(), "accuracy:" + c.name())) work.add(() -> out.add(Accuracy.measure(b, c)));
            }
        }
        Progress progress = new Progress(err, "accuracy", work.size());
        int i = 0;
        for (Runnable r : work) {
            r.run();
            AccuracyResult last = out.getLast();
            progress.step(last.backend() + " " + last.config());
            i++;
        }
        progress.finish();
        return out;
    }

    /** Latency of every owned (backend, config); backends in {@code excluded} (failed conformance) get none. */
    static List<LatencyResult> latency(List<AttentionBackend> backends, Set<String> excluded, Profile profile,
                                       Shard shard, List<Path> jars, Path jmhDir, PrintWriter err) {
        record Item(AttentionBackend backend, ConfigInfo config) {
        }
        List<Item> items = new ArrayList<>();
        for (AttentionBackend b : backends) {
            if (b.unavailableReason().isPresent() || excluded.contains(b.name())) continue;
            for (ConfigInfo c : profile.allConfigs()) {
                if (shard.owns(b.name(), "latency:" + c.name())) items.add(new Item(b, c));
            }
        }
        List<LatencyResult> out = new ArrayList<>();
        Progress progress = new Progress(err, "latency", items.size());
        for (Item item : items) {
            Path json = jmhDir == null ? null : jmhDir.resolve(item.backend().name() + "--" + item.config().name() + ".json");
            out.add(Latency.measure(item.backend().name(), item.config(), profile.bench, jars, json));
            progress.step(item.backend().name() + " " + item.config().name());
        }
        progress.finish();
        return out;
    }

    /**
     * KV-cache decode against recomputation for every owned backend that declares {@link Feature#KV_CACHE} and
     * conforms (work item {@code backend/kv-cache}), at the profile's cached lengths, with the {@link Timing} loop.
     */
    static List<KvCachePoint> kvCache(List<AttentionBackend> backends, Set<String> excluded, Profile profile,
                                      Shard shard, PrintWriter err) {
        List<AttentionBackend> owned = backends.stream().filter(b -> b.unavailableReason().isEmpty()
                && !excluded.contains(b.name()) && b.capabilities().supports(Feature.KV_CACHE)
                && shard.owns(b.name(), "kv-cache")).toList();
        int[] lengths = profile.kvLengths();
        int heads = profile == Profile.TINY ? 2 : 4, dim = profile == Profile.TINY ? 8 : 64;
        List<KvCachePoint> out = new ArrayList<>();
        Progress progress = new Progress(err, "kv-cache", owned.size() * lengths.length);
        for (AttentionBackend b : owned) {
            try {
                // a discarded first point: the JIT compiles this backend's decode and recompute paths (in the
                // background, on the same cores) before any figure is kept
                KvDecode.measure(b, lengths[lengths.length - 1], heads, dim, profile.timing());
            } catch (UnsupportedFeatureException e) {
                // reported below, per length
            }
            for (int length : lengths) {
                try {
                    out.add(KvDecode.measure(b, length, heads, dim, profile.timing()));
                } catch (UnsupportedFeatureException e) {
                    err.println("attest: kv-cache: " + b.name() + " refused the decode step (" + e.getMessage() + ")");
                }
                progress.step(b.name() + " L=" + length);
            }
        }
        progress.finish();
        return out;
    }

    /**
     * The linear-attention sweep (error against m, FAVOR+ i.i.d. and orthogonal, Lemma 2 theory) on
     * {@link LinearSweep#BACKEND} when it is discovered, as work item {@code linear-parallel/linear-sweep};
     * {@code timed}: also the forward pass's latency at each m.
     */
    static List<LinearErrorPoint> linear(Profile profile, Shard shard, boolean timed, PrintWriter err) {
        if (!shard.owns(LinearSweep.BACKEND, "linear-sweep")) return List.of();
        LinearAttentionBackend backend = LinearBackends.discover().stream()
                .filter(b -> b.name().equals(LinearSweep.BACKEND)).findFirst().orElse(null);
        if (backend == null) return List.of();
        Progress progress = new Progress(err, "linear attention", 1);
        List<LinearErrorPoint> out = LinearSweep.run(backend, profile.linearSweep(), timed ? profile.timing() : null);
        progress.step(backend.name() + " m=" + java.util.Arrays.toString(profile.linearSweep().features()));
        progress.finish();
        return out;
    }

    /** The calibration benchmark, run by the first shard only (merge keeps it). */
    static Metric calibration(Profile profile, Shard shard, Path jmhDir) {
        if (shard.index() != 1) return null;
        return Latency.calibration(profile.bench, jmhDir == null ? null : jmhDir.resolve("calibration.json"));
    }
}
