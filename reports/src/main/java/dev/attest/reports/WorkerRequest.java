package dev.attest.reports;

import java.util.List;

/**
 * What one worker JVM does: one task, for one backend. It travels as a JSON file, so the worker needs nothing but
 * the class path and this file.
 *
 * @param task     {@code discover} (list the providers), {@code conformance} (the kit's properties),
 *                 {@code measure} (accuracy, latency, KV cache), {@code golden} (golden cases) or
 *                 {@code length-sweep} (linear against softmax as the sequence grows, softmax or linear backend)
 * @param backend  the one backend this worker runs, as discovery found it: its provider class is the only one the
 *                 worker instantiates (null for discover)
 * @param skip     provider classes a discovery worker must not instantiate (they ended an earlier one)
 * @param accuracy measure the profile's accuracy configs (measure only)
 * @param latency  measure latency through JMH and KV-cache decode (measure only)
 * @param jmhDir   where JMH's JSON goes (measure only), or null
 * @param golden   the golden directory (golden only), or null
 * @param cases    the golden cases to check, already read and found valid by the supervisor (golden only)
 */
public record WorkerRequest(String task, ProviderInfo backend, List<String> skip, RunSettings settings,
                            boolean accuracy, boolean latency, String jmhDir, String golden, List<String> cases) {
    public static final String DISCOVER = "discover", CONFORMANCE = "conformance", MEASURE = "measure",
            GOLDEN = "golden", LENGTH_SWEEP = "length-sweep";

    public WorkerRequest {
        skip = skip == null ? List.of() : List.copyOf(skip);
        cases = cases == null ? List.of() : List.copyOf(cases);
    }

    static WorkerRequest discover(RunSettings settings, List<String> skip) {
        return new WorkerRequest(DISCOVER, null, skip, settings, false, false, null, null, null);
    }

    static WorkerRequest conformance(RunSettings settings, ProviderInfo backend) {
        return new WorkerRequest(CONFORMANCE, backend, List.of(), settings, false, false, null, null, null);
    }

    static WorkerRequest measure(RunSettings settings, ProviderInfo backend, boolean accuracy, boolean latency,
                                 String jmhDir) {
        return new WorkerRequest(MEASURE, backend, List.of(), settings, accuracy, latency, jmhDir, null, null);
    }

    static WorkerRequest golden(RunSettings settings, ProviderInfo backend, String dir, List<String> cases) {
        return new WorkerRequest(GOLDEN, backend, List.of(), settings, false, false, null, dir, cases);
    }

    static WorkerRequest lengthSweep(RunSettings settings, ProviderInfo backend) {
        return new WorkerRequest(LENGTH_SWEEP, backend, List.of(), settings, false, true, null, null, null);
    }

    /** The backend's name, or the task's for discovery (for directory names and messages). */
    String subject() {
        return backend == null ? task : backend.name();
    }
}
