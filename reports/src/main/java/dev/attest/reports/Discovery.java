package dev.attest.reports;

import dev.attest.reports.model.PropertyResult;
import dev.attest.reports.model.Status;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Finds the backends of a run through a discovery worker ({@link WorkerCommand}), so that this JVM never runs a
 * backend's code: a provider whose constructor ends the worker is skipped and recorded as a failure, and discovery
 * runs again without it.
 */
final class Discovery {
    /**
     * A backend's name becomes part of file names (JMH results, worker directories) and command lines: letters,
     * digits, '.', '_', '+' and '-', starting with a letter or digit, at most 64 characters.
     */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,63}");
    static final String DISCOVERY_CELL = "(discovery)";

    private Discovery() {
    }

    /**
     * The selected backends, softmax and linear, each sorted by name; {@code failures} holds a failing
     * {@value #DISCOVERY_CELL} cell for each provider that could not be instantiated or has an invalid name.
     */
    record Selection(List<ProviderInfo> softmax, List<ProviderInfo> linear, List<PropertyResult> failures) {
        List<ProviderInfo> all() {
            List<ProviderInfo> all = new ArrayList<>(softmax);
            all.addAll(linear);
            return all;
        }

        List<ProviderInfo> availableSoftmax() {
            return softmax.stream().filter(ProviderInfo::available).toList();
        }
    }

    static Selection select(RunSettings settings, List<String> requested, PrintWriter err) {
        List<PropertyResult> failures = new ArrayList<>();
        List<ProviderInfo> found = discoverAll(settings, failures);
        Map<String, ProviderInfo> byName = new TreeMap<>();
        for (ProviderInfo p : found) {
            if (p.error() != null) {
                failures.add(failure(p.className(), "could not be instantiated: " + p.error()));
            } else if (p.name() == null || !NAME.matcher(p.name()).matches()) {
                failures.add(failure(p.className(), "has an invalid name " + quoted(p.name())
                        + " (expected letters, digits, '.', '_', '+', '-', starting with a letter or digit, at most 64)"));
            } else {
                ProviderInfo other = byName.putIfAbsent(p.name(), p);
                if (other != null) {
                    throw new UsageException("two backends share the name " + p.name() + ": " + other.className()
                            + " and " + p.className());
                }
            }
        }
        failures.forEach(f -> err.println("attest: " + f.message().lines().findFirst().orElse("")));
        if (byName.isEmpty() && failures.isEmpty()) throw new UsageException("no backend found on the class path");
        Set<String> wanted = BackendSelection.wanted(requested);
        if (!wanted.isEmpty() && !wanted.contains("all")) {
            for (String name : wanted) {
                if (!byName.containsKey(name)) {
                    throw new UsageException("unknown backend '" + name + "'; known backends: "
                            + String.join(", ", byName.keySet()) + (failures.isEmpty() ? ""
                            : "; providers that failed: " + failures.stream().map(PropertyResult::backend).toList()));
                }
            }
            byName.keySet().retainAll(wanted);
        }
        List<ProviderInfo> softmax = byName.values().stream().filter(p -> !p.linear()).toList();
        List<ProviderInfo> linear = byName.values().stream().filter(ProviderInfo::linear).toList();
        return new Selection(softmax, linear, failures);
    }

    /** Every provider, rerunning discovery without each one that ended its worker. */
    private static List<ProviderInfo> discoverAll(RunSettings settings, List<PropertyResult> failures) {
        List<String> skip = new ArrayList<>();
        try {
            while (true) {
                Supervisor.Outcome outcome = Supervisor.run(WorkerRequest.discover(settings, skip), e -> { });
                for (WorkerEvent e : outcome.events()) {
                    if (e.property() != null) {                  // a provider file naming a missing class, and such
                        throw new UsageException(e.property().message().lines().findFirst().orElse("")
                                .replaceFirst("^java\\.util\\.ServiceConfigurationError: ", ""));
                    }
                }
                List<ProviderInfo> providers = outcome.events().stream().filter(e -> WorkerEvent.PROVIDER.equals(e.kind()))
                        .map(WorkerEvent::provider).toList();
                if (outcome.finished()) return providers;
                String culprit = culprit(outcome.events());
                if (culprit == null) throw new RunFailure("backend discovery failed: its worker " + outcome.failure(), null);
                failures.add(failure(culprit, outcome.failure()));
                skip.add(culprit);
            }
        } finally {
            Supervisor.cleanUp();
        }
    }

    /** The provider the worker announced and never finished instantiating. */
    private static String culprit(List<WorkerEvent> events) {
        String loading = null;
        for (WorkerEvent e : events) {
            if (WorkerEvent.LOADING.equals(e.kind())) loading = e.provider().className();
            if (WorkerEvent.PROVIDER.equals(e.kind())) loading = null;
        }
        return loading;
    }

    private static PropertyResult failure(String providerClass, String what) {
        return new PropertyResult(providerClass, DISCOVERY_CELL, Status.FAIL, "backend provider " + providerClass
                + " " + what);
    }

    private static String quoted(String name) {
        return name == null ? "(none: name() returned null)" : "'" + name + "'";
    }
}
