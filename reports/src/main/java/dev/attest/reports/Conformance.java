package dev.attest.reports;

import dev.attest.properties.contract.DiscoveredBackendsConformance;
import dev.attest.properties.linear.DiscoveredLinearBackendsConformance;
import dev.attest.reports.model.PropertyResult;
import dev.attest.reports.model.Status;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.reporting.legacy.xml.LegacyXmlReportGeneratingListener;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * Runs the conformance properties (the same JUnit classes {@code ./build test} runs) over the selected backends
 * through the JUnit Platform launcher, and collects one {@link PropertyResult} per (backend, property).
 */
public final class Conformance {
    private Conformance() {
    }

    /** What a conformance run produced; {@code log} holds the properties' statistics (their captured stdout). */
    public record Outcome(List<PropertyResult> results, String log) {
        public long failures() {
            return results.stream().filter(r -> r.status() == Status.FAIL).count();
        }
    }

    /**
     * Runs the suite over {@code backends}, each in a worker JVM of its own ({@link Supervisor}): a backend that ends,
     * exhausts or crashes its JVM, or hangs, gets a failing {@code (worker)} cell saying so, keeps the cells it
     * finished, and the other backends run as usual. {@code discoveryFailures} (providers that could not be
     * instantiated) are part of the outcome and of the JUnit XML.
     */
    public static Outcome run(RunSettings settings, List<ProviderInfo> backends, List<PropertyResult> discoveryFailures,
                              Path junitXml, PrintWriter progressOut, int expectedTotal) {
        Progress progress = new Progress(progressOut, "check", expectedTotal);
        List<PropertyResult> results = new ArrayList<>(discoveryFailures),
                withoutXml = new ArrayList<>(discoveryFailures);
        List<Path> junitFiles = new ArrayList<>();
        StringBuilder log = new StringBuilder();
        try {
            for (ProviderInfo backend : backends) {
                Supervisor.Outcome outcome = Supervisor.run(WorkerRequest.conformance(settings, backend),
                        e -> progress.step(e.describe()));
                List<PropertyResult> cells = new ArrayList<>(outcome.events().stream().map(WorkerEvent::property)
                        .filter(java.util.Objects::nonNull).toList());
                if (!outcome.finished()) {
                    cells.add(new PropertyResult(backend.name(), WORKER_CELL, Status.FAIL,
                            backend.name() + " " + outcome.failure()));
                }
                results.addAll(cells);
                junitFiles.addAll(outcome.junitXml());
                // a worker that ended early wrote no XML: its cells go into the merged file's own suite
                withoutXml.addAll(outcome.junitXml().isEmpty() ? cells : cells.stream()
                        .filter(r -> r.property().equals(WORKER_CELL)).toList());
                log.append(outcome.log());
            }
            if (junitXml != null) {
                AtomicFiles.write(junitXml, JunitXml.merge(junitFiles, withoutXml));
            }
        } finally {
            progress.finish();
            Supervisor.cleanUp();
        }
        return new Outcome(results, log.toString());
    }

    /** The property name of the cell that records a backend's worker ending before its run was done. */
    public static final String WORKER_CELL = "(worker)";

    /**
     * The worker side: runs the kit for one backend in this JVM, passing each cell to {@code sink} as it is decided,
     * and returns the properties' statistics. JUnit XML, when {@code junitDir} is given, goes there.
     */
    static String runInProcess(RunSettings settings, ProviderInfo backend, Path junitDir,
                               java.util.function.Consumer<PropertyResult> sink) {
        System.setProperty(DiscoveredBackendsConformance.BACKENDS_PROPERTY, backend.linear() ? "none" : backend.name());
        System.setProperty(DiscoveredLinearBackendsConformance.BACKENDS_PROPERTY,
                backend.linear() ? backend.name() : "none");
        System.setProperty("attest.tries", Integer.toString(settings.tries()));
        System.setProperty("attest.seed", Long.toString(settings.seed()));
        System.setProperty(TIMEOUT_PROPERTY, Integer.toString(settings.timeoutSeconds()));
        if (settings.replay() != null) System.setProperty("attest.replay", settings.replay());
        if (settings.reproduce() != null) {
            System.setProperty(dev.attest.properties.engine.ReproduceCommand.TEMPLATE_PROPERTY, settings.reproduce());
        }
        Shard shard = Shard.parse(settings.shard());
        LauncherDiscoveryRequestBuilder builder = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(backend.linear() ? DiscoveredLinearBackendsConformance.class
                        : DiscoveredBackendsConformance.class));
        if (settings.property() != null) {
            builder.filters(org.junit.platform.launcher.MethodFilter.includeMethodNamePatterns(
                    ".*#" + java.util.regex.Pattern.quote(settings.property()) + "(\\(.*\\))?"));
        }
        if (!shard.whole()) {
            builder.configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
                    .configurationParameter(ShardCondition.PARAMETER, shard.toString());
        }
        LauncherDiscoveryRequest request = builder.build();
        Launcher launcher = LauncherFactory.create();
        Collector collector = new Collector(sink);
        List<TestExecutionListener> listeners = new ArrayList<>(List.of(collector));
        if (junitDir != null) {
            try {
                Files.createDirectories(junitDir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            listeners.add(new LegacyXmlReportGeneratingListener(junitDir, new PrintWriter(System.err, true)));
        }
        return ConsoleCapture.stdout(() -> {
            launcher.execute(request, listeners.toArray(TestExecutionListener[]::new));
            return null;
        }).stdout();
    }

    /** The kit's per-property timeout in seconds (see the properties module). */
    static final String TIMEOUT_PROPERTY = "attest.timeout";

    /** Collects one cell per (property, backend) from launcher events. */
    static final class Collector implements TestExecutionListener {
        private final Map<String, PropertyResult> cells = new LinkedHashMap<>();
        private final List<PropertyResult> containerFailures = new ArrayList<>();
        private final java.util.function.Consumer<PropertyResult> sink;
        private TestPlan plan;

        Collector(java.util.function.Consumer<PropertyResult> sink) {
            this.sink = sink;
        }

        @Override
        public void testPlanExecutionStarted(TestPlan testPlan) {
            plan = testPlan;
        }

        @Override
        public void executionSkipped(TestIdentifier test, String reason) {
            if (!test.isTest() || ShardCondition.REASON.equals(reason)) return;
            record(test, Status.SKIPPED, reason);
        }

        @Override
        public void executionFinished(TestIdentifier test, TestExecutionResult result) {
            if (!test.isTest()) {
                if (result.getStatus() == TestExecutionResult.Status.FAILED) {
                    PropertyResult r = new PropertyResult(backendOf(test), "(setup of " + test.getDisplayName()
                            + ")", Status.FAIL, result.getThrowable().map(Failures::describe).orElse("failed"));
                    containerFailures.add(r);
                    sink.accept(r);
                }
                return;
            }
            String message = result.getThrowable().map(Throwable::getMessage).map(Conformance::withoutAssumptionPrefix)
                    .orElse(null);
            switch (result.getStatus()) {
                case SUCCESSFUL -> record(test, Status.PASS, null);
                case ABORTED -> record(test, abortedStatus(message), message);
                case FAILED -> record(test, Status.FAIL, result.getThrowable().map(Failures::describe).orElse(""));
            }
        }

        private void record(TestIdentifier test, Status status, String message) {
            String property = test.getDisplayName().replace("()", "");
            String backend = backendOf(test);
            PropertyResult r = new PropertyResult(backend, property, status, message);
            cells.put(backend + "\u0000" + property, r);
            sink.accept(r);
        }

        private String backendOf(TestIdentifier test) {
            return plan.getParent(test).map(TestIdentifier::getDisplayName).orElse("?");
        }

        List<PropertyResult> results() {
            List<PropertyResult> all = new ArrayList<>(cells.values());
            all.addAll(containerFailures);
            return all;
        }
    }

    /**
     * JUnit's {@code assumeTrue(condition, message)} prefixes its message with "Assumption failed: "; the kit's
     * {@code unsupported:} / {@code unavailable:} / {@code xfail:} tags follow it.
     */
    static String withoutAssumptionPrefix(String message) {
        String prefix = "Assumption failed: ";
        return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }

    /** An aborted property's status from the kit's tag; an untagged abort is a skip (shown, never a pass). */
    static Status abortedStatus(String message) {
        if (message == null) return Status.SKIPPED;
        if (message.startsWith("unavailable")) return Status.UNAVAILABLE;
        if (message.startsWith("unsupported")) return Status.UNSUPPORTED;
        if (message.startsWith("xfail")) return Status.XFAIL;
        return Status.SKIPPED;
    }

    /** The backend × property matrix as aligned text. */
    public static String matrix(List<PropertyResult> results) {
        Set<String> properties = new LinkedHashSet<>();
        Set<String> backends = new java.util.TreeSet<>();
        Map<String, Status> cells = new LinkedHashMap<>();
        results.stream().sorted(java.util.Comparator.comparing(PropertyResult::property)).forEach(r -> {
            properties.add(r.property());
            backends.add(r.backend());
            cells.put(r.property() + "\u0000" + r.backend(), r.status());
        });
        int width = Math.max(8, properties.stream().mapToInt(String::length).max().orElse(8));
        int col = Math.max(12, backends.stream().mapToInt(String::length).max().orElse(12));
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-" + width + "s", "property"));
        for (String b : backends) out.append("  ").append(String.format("%-" + col + "s", b));
        out.append('\n');
        for (String p : properties) {
            out.append(String.format("%-" + width + "s", p));
            for (String b : backends) {
                Status s = cells.get(p + "\u0000" + b);
                String cell = s == null ? "-" : s == Status.FAIL ? "FAIL" : s.label();
                out.append("  ").append(String.format("%-" + col + "s", cell));
            }
            out.append('\n');
        }
        Map<Status, Long> counts = new java.util.EnumMap<>(Status.class);
        results.forEach(r -> counts.merge(r.status(), 1L, Long::sum));
        out.append(String.format("%n%d passed, %d failed, %d unsupported, %d unavailable, %d expected failures,"
                        + " %d skipped%n", counts.getOrDefault(Status.PASS, 0L), counts.getOrDefault(Status.FAIL, 0L),
                counts.getOrDefault(Status.UNSUPPORTED, 0L), counts.getOrDefault(Status.UNAVAILABLE, 0L),
                counts.getOrDefault(Status.XFAIL, 0L), counts.getOrDefault(Status.SKIPPED, 0L)));
        return out.toString();
    }
}
