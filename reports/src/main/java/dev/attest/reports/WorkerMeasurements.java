package dev.attest.reports;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Layout;
import dev.attest.reference.Tensor;
import dev.attest.reports.bench.AttentionBench;
import dev.attest.reports.model.ConfigInfo;
import dev.attest.reports.timing.OutputCheck;
import dev.attest.reports.model.MeasurementIssue;
import dev.attest.reports.model.Status;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Backends;
import dev.attest.spi.Feature;
import dev.attest.spi.UnsupportedFeatureException;

import java.nio.file.Path;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The worker side of a measurement run for one backend: accuracy on the profile's configs, latency through JMH and
 * KV-cache decode, each an item of its own. A workload that needs a feature the backend does not declare is an
 * {@code unsupported} issue (shown, not silently dropped); one the backend throws on is a {@code FAIL} issue with
 * its stack trace; either way the next item runs.
 */
final class WorkerMeasurements {
    private WorkerMeasurements() {
    }

    static void run(WorkerRequest request, Consumer<WorkerEvent> emit) {
        AttentionBackend backend = Backends.byName(request.backend().name());
        RunSettings s = request.settings();
        Profile profile = Profile.parse(s.profile());
        Shard shard = Shard.parse(s.shard());
        Items items = new Items(backend.name(), emit);
        if (request.accuracy()) {
            for (ConfigInfo c : profile.accuracyConfigs) {
                String item = "accuracy:" + c.name();
                if (!shard.owns(backend.name(), item) || items.unsupported(item, backend, c)) continue;
                items.run(item, () -> emit.accept(WorkerEvent.of(Accuracy.measure(backend, c))));
            }
        }
        if (!request.latency()) return;
        Path jmhDir = request.jmhDir() == null ? null : Path.of(request.jmhDir());
        for (ConfigInfo c : profile.allConfigs()) {
            String item = "latency:" + c.name();
            if (!shard.owns(backend.name(), item) || items.unsupported(item, backend, c)) continue;
            items.run(item, () -> {
                Path json = jmhDir == null ? null : jmhDir.resolve(backend.name() + "--" + c.name() + ".json");
                try (TemporaryDirectory expectedDir = TemporaryDirectory.create("attest-expected")) {
                    // also the backend's own exception, which a failed JMH fork would not show
                    Latency.Expected expected = untimedOutputs(backend, c, expectedDir);
                    Latency.Outcome o = Latency.measure(backend.name(), c, profile.bench, s.jars().stream()
                            .map(Path::of).toList(), json, s.timeoutSeconds(), expected);
                    if (o.integrityFailure() == null) emit.accept(WorkerEvent.of(o.result()));
                    else items.issue(item, Status.FAIL, backend.name() + " gets no speed figure on " + c.name()
                            + ": " + o.integrityFailure());
                }
            });
        }
        if (!shard.owns(backend.name(), "kv-cache")) return;
        if (!backend.capabilities().supports(Feature.KV_CACHE)) {
            items.issue("kv-cache", Status.UNSUPPORTED, "unsupported: " + backend.name() + " does not declare KV_CACHE");
            return;
        }
        int[] lengths = profile.kvLengths();
        int heads = profile == Profile.TINY ? 2 : 4, dim = profile == Profile.TINY ? 8 : 64;
        for (int length : lengths) {
            String item = "kv-cache:L=" + length;
            items.run(item, () -> {
                KvDecode.Outcome o = KvDecode.measure(backend, length, heads, dim, profile.timing());
                if (o.integrityFailure() == null) emit.accept(WorkerEvent.of(o.point()));
                else items.issue(item, Status.FAIL, backend.name() + " gets no KV-cache figure at L=" + length + ": "
                        + o.integrityFailure());
            });
        }
    }

    /**
     * The length sweep of one backend (softmax or linear, as discovery found it), each form an item of its own: a
     * point per length as soon as it is measured.
     */
    static void lengthSweep(WorkerRequest request, Consumer<WorkerEvent> emit) {
        ProviderInfo info = request.backend();
        Profile profile = Profile.parse(request.settings().profile());
        Items items = new Items(info.name(), emit);
        LengthSweep.Sink sink = new LengthSweep.Sink() {
            @Override
            public void point(dev.attest.reports.model.LengthSweepPoint p) {
                emit.accept(WorkerEvent.of(p));
            }

            @Override
            public void issue(String item, Status status, String message) {
                items.issue(item, status, message);
            }
        };
        items.run(LengthSweep.ITEM, () -> {
            if (info.linear()) {
                LengthSweep.linear(dev.attest.spi.LinearBackends.discover().stream()
                        .filter(b -> b.name().equals(info.name())).findFirst().orElseThrow(() ->
                                new IllegalStateException("linear backend " + info.name() + " not found")),
                        profile.lengthSweep(), sink);
            } else {
                LengthSweep.softmax(Backends.byName(info.name()), profile.lengthSweep(), sink);
            }
        });
    }

    /** The untimed outputs on the bench's two inputs, written for the JMH fork to check its timed output against. */
    private static Latency.Expected untimedOutputs(AttentionBackend backend, ConfigInfo c, TemporaryDirectory dir) {
        Latency.Expected expected = new Latency.Expected(dir.resolve("a.bits"), dir.resolve("b.bits"));
        for (long seed : new long[]{AttentionBench.SEED_A, AttentionBench.SEED_B}) {
            AttentionProblem problem = Workloads.problem(c, seed);
            Tensor out = Workloads.output(c, problem);
            backend.attention(problem, out);
            OutputCheck.write(seed == AttentionBench.SEED_A ? expected.a() : expected.b(), OutputCheck.snapshot(out));
        }
        return expected;
    }

    /** Runs items, turning what a backend throws into an issue of that item. */
    private record Items(String backend, Consumer<WorkerEvent> emit) {
        void run(String item, Runnable work) {
            try {
                work.run();
            } catch (UnsupportedFeatureException e) {
                issue(item, Status.UNSUPPORTED, "unsupported: " + e.getMessage());
            } catch (RuntimeException | Error e) {
                issue(item, Status.FAIL, backend + " failed on " + item + ": " + Failures.describe(e));
            }
        }

        /** Whether the workload needs a feature the backend does not declare (then said so as an issue). */
        boolean unsupported(String item, AttentionBackend b, ConfigInfo c) {
            if (!b.capabilities().supports(c.tensorTypes())) {
                issue(item, Status.UNSUPPORTED, "unsupported: " + b.name() + " does not declare element types "
                        + c.types());
                return true;
            }
            AttentionProblem problem = Workloads.problem(c, Accuracy.DATA_SEED);
            Set<Feature> missing = b.capabilities().missing(Feature.requiredBy(problem, Workloads.output(c, problem)));
            if (missing.isEmpty()) return false;
            issue(item, Status.UNSUPPORTED, "unsupported: " + b.name() + " does not declare " + missing);
            return true;
        }

        void issue(String item, Status status, String message) {
            emit.accept(WorkerEvent.of(new MeasurementIssue(backend, item, status, message)));
        }
    }
}
