package dev.attest.reports;

import dev.attest.reports.model.AccuracyResult;
import dev.attest.reports.model.ConfigInfo;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.Metric;
import dev.attest.spi.AttentionBackend;

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

    /** The calibration benchmark, run by the first shard only (merge keeps it). */
    static Metric calibration(Profile profile, Shard shard, Path jmhDir) {
        if (shard.index() != 1) return null;
        return Latency.calibration(profile.bench, jmhDir == null ? null : jmhDir.resolve("calibration.json"));
    }
}
