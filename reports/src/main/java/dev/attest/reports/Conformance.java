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
     * Runs the suite. The backends are chosen by {@code backendSelection} ("all" or comma-separated names) from
     * those the context class loader sees; the caller has checked the names.
     */
    public static Outcome run(String backendSelection, String linearSelection, int tries, long seed, Shard shard,
                              Path junitXml, PrintWriter progressOut, int expectedTotal) {
        System.setProperty(DiscoveredBackendsConformance.BACKENDS_PROPERTY, backendSelection);
        System.setProperty(DiscoveredLinearBackendsConformance.BACKENDS_PROPERTY, linearSelection);
        System.setProperty("attest.tries", Integer.toString(tries));
        System.setProperty("attest.seed", Long.toString(seed));
        LauncherDiscoveryRequestBuilder builder = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(DiscoveredBackendsConformance.class),
                        selectClass(DiscoveredLinearBackendsConformance.class));
        if (!shard.whole()) {
            builder.configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
                    .configurationParameter(ShardCondition.PARAMETER, shard.toString());
        }
        LauncherDiscoveryRequest request = builder.build();
        Launcher launcher = LauncherFactory.create();
        Collector collector = new Collector(new Progress(progressOut, "check", expectedTotal));
        List<TestExecutionListener> listeners = new ArrayList<>(List.of(collector));
        if (junitXml != null) {
            try {
                Path dir = Files.createTempDirectory("attest-junit");
                listeners.add(new LegacyXmlReportGeneratingListener(dir, new PrintWriter(System.err, true)));
                collector.junitDir = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        ConsoleCapture.Captured<Void> captured;
        try {
            captured = ConsoleCapture.stdout(() -> {
                launcher.execute(request, listeners.toArray(TestExecutionListener[]::new));
                return null;
            });
        } finally {
            collector.progress.finish();
        }
        if (junitXml != null) collector.moveJunitXml(junitXml);
        return new Outcome(collector.results(), captured.stdout());
    }

    /** Collects one cell per (property, backend) from launcher events. */
    static final class Collector implements TestExecutionListener {
        private final Map<String, PropertyResult> cells = new LinkedHashMap<>();
        private final List<PropertyResult> containerFailures = new ArrayList<>();
        private final Progress progress;
        private TestPlan plan;
        Path junitDir;

        Collector(Progress progress) {
            this.progress = progress;
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
                    containerFailures.add(new PropertyResult(backendOf(test), "(setup of " + test.getDisplayName()
                            + ")", Status.FAIL, result.getThrowable().map(Conformance::describe).orElse("failed")));
                }
                return;
            }
            String message = result.getThrowable().map(Throwable::getMessage).orElse(null);
            switch (result.getStatus()) {
                case SUCCESSFUL -> record(test, Status.PASS, null);
                case ABORTED -> record(test, message != null && message.startsWith("unavailable") ? Status.UNAVAILABLE
                        : message != null && message.startsWith("unsupported") ? Status.UNSUPPORTED
                        : message != null && message.startsWith("xfail") ? Status.XFAIL : Status.SKIPPED, message);
                case FAILED -> record(test, Status.FAIL, result.getThrowable().map(Conformance::describe).orElse(""));
            }
        }

        private void record(TestIdentifier test, Status status, String message) {
            String property = test.getDisplayName().replace("()", "");
            String backend = backendOf(test);
            cells.put(backend + "\u0000" + property, new PropertyResult(backend, property, status, message));
            progress.step(backend + " " + property + ": " + status.label());
        }

        private String backendOf(TestIdentifier test) {
            return plan.getParent(test).map(TestIdentifier::getDisplayName).orElse("?");
        }

        List<PropertyResult> results() {
            List<PropertyResult> all = new ArrayList<>(cells.values());
            all.addAll(containerFailures);
            return all;
        }

        void moveJunitXml(Path target) {
            try (var files = Files.list(junitDir)) {
                Path xml = files.filter(p -> p.toString().endsWith(".xml")).findFirst()
                        .orElseThrow(() -> new IllegalStateException("the JUnit XML listener wrote no file"));
                AtomicFiles.write(target, Files.readAllBytes(xml));
                Files.delete(xml);
                Files.deleteIfExists(junitDir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    static String describe(Throwable t) {
        String message = t.getMessage() == null ? t.toString() : t.getMessage();
        return t instanceof AssertionError ? message : t.getClass().getName() + ": " + message;
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
        long pass = results.stream().filter(r -> r.status() == Status.PASS).count();
        long fail = results.stream().filter(r -> r.status() == Status.FAIL).count();
        long na = results.stream().filter(r -> r.status() == Status.UNSUPPORTED || r.status() == Status.UNAVAILABLE)
                .count();
        out.append(String.format("%n%d passed, %d failed, %d unsupported or unavailable%n", pass, fail, na));
        return out.toString();
    }
}
