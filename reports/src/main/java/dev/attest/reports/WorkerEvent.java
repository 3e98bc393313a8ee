package dev.attest.reports;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.attest.reports.model.AccuracyResult;
import dev.attest.reports.model.KvCachePoint;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.LengthSweepPoint;
import dev.attest.reports.model.MeasurementIssue;
import dev.attest.reports.model.PropertyResult;
import dev.attest.reports.golden.GoldenResult;

/**
 * One line of a worker's results file: a result, or {@code done} (the worker finished its task). A worker that ends
 * without writing {@code done} did not finish, whatever its exit code: that is how a backend's {@code System.exit(0)}
 * is told from success. At most one payload field is set.
 *
 * @param kind {@code property}, {@code accuracy}, {@code latency}, {@code kv-cache}, {@code issue}, {@code golden}, {@code length-sweep}, {@code loading}
 *             (a discovery worker is about to instantiate {@code provider}), {@code provider} (it did), {@code done}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WorkerEvent(String kind, PropertyResult property, AccuracyResult accuracy, LatencyResult latency,
                          KvCachePoint kvCache, MeasurementIssue issue, ProviderInfo provider,
                          GoldenResult golden, LengthSweepPoint lengthSweep) {
    static final String DONE = "done", LOADING = "loading", PROVIDER = "provider";

    static WorkerEvent of(PropertyResult r) {
        return new WorkerEvent("property", r, null, null, null, null, null, null, null);
    }

    static WorkerEvent of(AccuracyResult r) {
        return new WorkerEvent("accuracy", null, r, null, null, null, null, null, null);
    }

    static WorkerEvent of(LatencyResult r) {
        return new WorkerEvent("latency", null, null, r, null, null, null, null, null);
    }

    static WorkerEvent of(KvCachePoint r) {
        return new WorkerEvent("kv-cache", null, null, null, r, null, null, null, null);
    }

    static WorkerEvent of(MeasurementIssue r) {
        return new WorkerEvent("issue", null, null, null, null, r, null, null, null);
    }

    static WorkerEvent loading(ProviderInfo p) {
        return new WorkerEvent(LOADING, null, null, null, null, null, p, null, null);
    }

    static WorkerEvent found(ProviderInfo p) {
        return new WorkerEvent(PROVIDER, null, null, null, null, null, p, null, null);
    }

    static WorkerEvent of(GoldenResult r) {
        return new WorkerEvent("golden", null, null, null, null, null, null, r, null);
    }

    static WorkerEvent of(LengthSweepPoint r) {
        return new WorkerEvent("length-sweep", null, null, null, null, null, null, null, r);
    }

    static WorkerEvent done() {
        return new WorkerEvent(DONE, null, null, null, null, null, null, null, null);
    }

    /** What a progress line says about this event. */
    String describe() {
        if (property != null) return property.backend() + " " + property.property() + ": " + property.status().label();
        if (accuracy != null) return accuracy.backend() + " accuracy " + accuracy.config();
        if (latency != null) return latency.backend() + " latency " + latency.config();
        if (kvCache != null) return kvCache.backend() + " kv-cache L=" + kvCache.length();
        if (issue != null) return issue.backend() + " " + issue.item() + ": " + issue.status().label();
        if (provider != null) return provider.className();
        if (lengthSweep != null) return lengthSweep.series() + " length-sweep n=" + lengthSweep.length();
        if (golden != null) return golden.backend() + " " + golden.goldenCase() + ": " + golden.status().label();
        return kind;
    }
}
