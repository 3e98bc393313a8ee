package dev.attest.properties;

import dev.attest.properties.contract.DiscoveredBackendsConformance;
import dev.attest.spi.AttentionBackend;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
 * The main job until the {@code attest} command line lands: runs the conformance suite (the same JUnit properties
 * {@code ./build test} runs) over every discovered backend through the JUnit Platform launcher, and prints a
 * property x backend table. Exit code 0 when everything conforms, 1 on any failure, 2 on bad usage.
 *
 * <pre>
 *   ./attest [--backend NAME[,NAME...]] [--tries N] [--seed S] [--log FILE]
 * </pre>
 */
public final class ConformanceMain {
    private ConformanceMain() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args));
    }

    static int run(String[] args) throws Exception {
        Path log = Path.of("attest-out", "conformance.log");
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (arg) {
                case "--backend" -> System.setProperty(DiscoveredBackendsConformance.BACKENDS_PROPERTY, need(arg, value));
                case "--tries" -> System.setProperty("attest.tries", need(arg, value));
                case "--seed" -> System.setProperty("attest.seed", need(arg, value));
                case "--log" -> log = Path.of(need(arg, value));
                case "-h", "--help" -> {
                    System.out.println("usage: ./attest [--backend NAME[,NAME...]] [--tries N] [--seed S] [--log FILE]");
                    System.out.println("Runs the conformance properties over every backend on the class path and prints");
                    System.out.println("a property x backend table (pass / FAIL / unsupported / unavailable).");
                    System.out.println("example: ./attest --backend cpu-naive --tries 100");
                    return 0;
                }
                default -> {
                    System.err.println("attest: unknown argument '" + arg + "' (try --help)");
                    return 2;
                }
            }
            if (!arg.equals("-h") && !arg.equals("--help")) i++;
        }
        if (System.getProperty("attest.seed", "").isBlank()) {
            System.setProperty("attest.seed", Long.toString(System.nanoTime() ^ 0x9E3779B97F4A7C15L));
        }
        List<AttentionBackend> backends;
        try {
            backends = DiscoveredBackendsConformance.selected();
        } catch (IllegalArgumentException e) {
            System.err.println("attest: " + e.getMessage());
            return 2;
        }
        if (backends.isEmpty()) {
            System.err.println("attest: no backend found on the class path");
            return 2;
        }
        System.out.println("attest: conformance of " + backends.stream().map(AttentionBackend::name).toList()
                + ", seed " + System.getProperty("attest.seed") + ", tries "
                + System.getProperty("attest.tries", "40") + " per property");

        Table table = new Table();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream console = System.out;
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(DiscoveredBackendsConformance.class)).build();
        Launcher launcher = LauncherFactory.create();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            launcher.execute(request, table);
        } finally {
            System.setOut(console);
        }
        Files.createDirectories(log.toAbsolutePath().getParent());
        Files.writeString(log, captured.toString(StandardCharsets.UTF_8) + table.details());
        System.out.print(table.render());
        System.out.print(table.details());
        System.out.println("attest: property statistics in " + log);
        return table.failures() > 0 ? 1 : 0;
    }

    private static String need(String flag, String value) {
        if (value == null || value.startsWith("--")) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return value;
    }

    /** Collects one cell per (property, backend) from launcher events. */
    static final class Table implements TestExecutionListener {
        private final Set<String> properties = new LinkedHashSet<>();
        private final Set<String> backendNames = new LinkedHashSet<>();
        private final Map<String, String> cells = new LinkedHashMap<>();
        private final List<String> failureDetails = new ArrayList<>();
        private TestPlan plan;
        private int failures;

        @Override
        public void testPlanExecutionStarted(TestPlan testPlan) {
            plan = testPlan;
        }

        @Override
        public void executionSkipped(TestIdentifier test, String reason) {
            record(test, "skipped", reason);
        }

        @Override
        public void executionFinished(TestIdentifier test, TestExecutionResult result) {
            if (!test.isTest()) {
                if (result.getStatus() == TestExecutionResult.Status.FAILED) {
                    failures++;
                    failureDetails.add(test.getDisplayName() + ": " + result.getThrowable().map(Throwable::toString)
                            .orElse("failed"));
                }
                return;
            }
            String message = result.getThrowable().map(Throwable::getMessage).orElse("");
            switch (result.getStatus()) {
                case SUCCESSFUL -> record(test, "pass", null);
                case ABORTED -> record(test, message != null && message.startsWith("unavailable") ? "unavailable"
                        : message != null && message.startsWith("unsupported") ? "unsupported" : "skipped", null);
                case FAILED -> {
                    failures++;
                    record(test, "FAIL", null);
                    failureDetails.add("FAIL " + backendOf(test) + " " + test.getDisplayName() + "\n"
                            + result.getThrowable().map(ConformanceMain::describe).orElse(""));
                }
            }
        }

        private void record(TestIdentifier test, String cell, String ignored) {
            if (!test.isTest()) return;
            String property = test.getDisplayName().replace("()", "");
            String backend = backendOf(test);
            properties.add(property);
            backendNames.add(backend);
            cells.put(property + "\u0000" + backend, cell);
        }

        private String backendOf(TestIdentifier test) {
            return plan.getParent(test).map(TestIdentifier::getDisplayName).orElse("?");
        }

        int failures() {
            return failures;
        }

        String render() {
            int width = properties.stream().mapToInt(String::length).max().orElse(8);
            StringBuilder out = new StringBuilder("\n");
            out.append(String.format("%-" + width + "s", "property"));
            for (String b : backendNames) out.append("  ").append(String.format("%-12s", b));
            out.append('\n');
            for (String p : properties) {
                out.append(String.format("%-" + width + "s", p));
                for (String b : backendNames) {
                    out.append("  ").append(String.format("%-12s", cells.getOrDefault(p + "\u0000" + b, "-")));
                }
                out.append('\n');
            }
            long passed = cells.values().stream().filter("pass"::equals).count();
            long unsupported = cells.values().stream().filter(c -> c.startsWith("uns") || c.startsWith("unav")).count();
            out.append(String.format("%n%d passed, %d failed, %d unsupported or unavailable%n", passed,
                    cells.values().stream().filter("FAIL"::equals).count(), unsupported));
            return out.toString();
        }

        String details() {
            return failureDetails.isEmpty() ? "" : "\n" + String.join("\n\n", failureDetails) + "\n";
        }
    }

    private static String describe(Throwable t) {
        String message = t.getMessage() == null ? t.toString() : t.getMessage();
        return t instanceof AssertionError ? message : t.getClass().getName() + ": " + message;
    }
}
