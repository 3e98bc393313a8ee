package dev.attest.reports;

import java.util.List;

/**
 * What one worker JVM does: one task, for one backend. It travels as a JSON file, so the worker needs nothing but
 * the class path and this file.
 *
 * @param task     {@code discover} (list the providers), {@code conformance} (the kit's properties) or
 *                 {@code measure} (accuracy, latency, KV cache)
 * @param backend  the one backend this worker runs, as discovery found it: its provider class is the only one the
 *                 worker instantiates (null for discover)
 * @param skip     provider classes a discovery worker must not instantiate (they ended an earlier one)
 * @param accuracy measure the profile's accuracy configs (measure only)
 * @param latency  measure latency through JMH and KV-cache decode (measure only)
 * @param jmhDir   where JMH's JSON goes (measure only), or null
 */
public record WorkerRequest(String task, ProviderInfo backend, List<String> skip, RunSettings settings,
                            boolean accuracy, boolean latency, String jmhDir) {
    public static final String DISCOVER = "discover", CONFORMANCE = "conformance", MEASURE = "measure";

    public WorkerRequest {
        skip = skip == null ? List.of() : List.copyOf(skip);
    }

    static WorkerRequest discover(RunSettings settings, List<String> skip) {
        return new WorkerRequest(DISCOVER, null, skip, settings, false, false, null);
    }

    static WorkerRequest conformance(RunSettings settings, ProviderInfo backend) {
        return new WorkerRequest(CONFORMANCE, backend, List.of(), settings, false, false, null);
    }

    static WorkerRequest measure(RunSettings settings, ProviderInfo backend, boolean accuracy, boolean latency,
                                 String jmhDir) {
        return new WorkerRequest(MEASURE, backend, List.of(), settings, accuracy, latency, jmhDir);
    }

    /** The backend's name, or the task's for discovery (for directory names and messages). */
    String subject() {
        return backend == null ? task : backend.name();
    }
}
