package dev.attest.reports;

import dev.attest.reports.HostileJars.Misbehaviour;
import dev.attest.reports.model.PropertyResult;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reliability suite: misbehaving third-party backends, built as jars by the test, run through the real CLI in a
 * JVM of its own. Whatever a backend does, the run ends red (exit 1), every other backend's results stand, the
 * result files are complete, and no temporary directory is left behind.
 */
class HostileBackendsTest {
    @TempDir
    Path dir;

    /** Backends that end, exhaust, crash or corrupt: one run, next to an honest backend. */
    @Test
    void backendsThatExitCrashOrRunOutOfMemoryAreFailuresOfTheirOwnAndTheOthersResultsStand() throws Exception {
        List<Misbehaviour> planted = List.of(Misbehaviour.EXIT_ZERO, Misbehaviour.EXIT_THREE,
                Misbehaviour.OUT_OF_MEMORY, Misbehaviour.JVM_CRASH, Misbehaviour.THROW, Misbehaviour.NAN,
                Misbehaviour.MUTATE_INPUT, Misbehaviour.WRITE_OUTSIDE_VIEW, Misbehaviour.EXIT_IN_CONSTRUCTOR);
        List<String> args = new ArrayList<>(List.of("check", "--tries", "2", "--json", "out/check.json",
                "--junit-xml", "out/junit.xml", "--log", "out/check.log", "--backend", "cpu-naive"));
        for (Misbehaviour m : planted) {
            args.addAll(List.of("--jar", HostileJars.build(dir, m).toString()));
            if (m != Misbehaviour.EXIT_IN_CONSTRUCTOR) args.addAll(List.of("--backend", m.backendName()));
        }
        List<Path> tempBefore = attestTempDirs();
        Cli cli = HostileJars.runCli(dir, args);

        assertEquals(1, cli.code(), cli.err() + cli.out());
        Report report = ReportJson.read(dir.resolve("out/check.json"));
        Map<String, List<PropertyResult>> byBackend = report.conformance().stream()
                .collect(Collectors.groupingBy(PropertyResult::backend));
        List<PropertyResult> honest = byBackend.get("cpu-naive");
        assertTrue(honest.size() > 30, "the honest backend ran its whole kit: " + honest.size());
        assertTrue(honest.stream().allMatch(r -> r.status() == Status.PASS), honest.toString());

        for (Misbehaviour m : List.of(Misbehaviour.EXIT_ZERO, Misbehaviour.EXIT_THREE, Misbehaviour.OUT_OF_MEMORY,
                Misbehaviour.JVM_CRASH)) {
            List<PropertyResult> cells = byBackend.get(m.backendName());
            PropertyResult worker = cells.stream().filter(r -> r.property().equals(Conformance.WORKER_CELL))
                    .findFirst().orElseThrow(() -> new AssertionError(m + " has no (worker) failure: " + cells));
            assertEquals(Status.FAIL, worker.status());
            String expected = switch (m) {
                case EXIT_ZERO -> "with exit code 0";
                case EXIT_THREE -> "with exit code 3";
                case OUT_OF_MEMORY -> "ran out of memory";
                default -> "crashed: its worker JVM was killed by signal";
            };
            assertTrue(worker.message().contains(expected), m + ": " + worker.message());
            assertTrue(cells.stream().anyMatch(r -> r.status() == Status.PASS),
                    m + ": the cells finished before the exit are kept: " + cells);
        }
        for (Misbehaviour m : List.of(Misbehaviour.THROW, Misbehaviour.NAN, Misbehaviour.MUTATE_INPUT,
                Misbehaviour.WRITE_OUTSIDE_VIEW)) {
            assertTrue(byBackend.get(m.backendName()).stream().anyMatch(r -> r.status() == Status.FAIL),
                    m + " is caught by the kit: " + byBackend.get(m.backendName()));
        }
        PropertyResult thrown = byBackend.get(Misbehaviour.THROW.backendName()).stream()
                .filter(r -> r.status() == Status.FAIL && r.message().contains("kernel launch failed: planted"))
                .findFirst().orElseThrow(() -> new AssertionError("no failure shows the planted throw"));
        assertTrue(thrown.message().contains("kernel launch failed: planted")
                && thrown.message().contains("hostile.HostileThrow.attention("), "the stack trace is kept: "
                + thrown.message());
        List<PropertyResult> discovery = report.conformance().stream()
                .filter(r -> r.property().equals(Discovery.DISCOVERY_CELL)).toList();
        assertEquals(1, discovery.size(), discovery.toString());
        assertTrue(discovery.getFirst().message().contains("hostile.HostileExitInConstructor")
                && discovery.getFirst().message().contains("exit code 0"), discovery.toString());

        String junit = Files.readString(dir.resolve("out/junit.xml"));
        assertTrue(junit.startsWith("<?xml") && junit.contains("<testsuites>")
                && junit.contains("classname=\"hostile-exit-zero\"") && junit.contains("hostile.HostileExitInConstructor"),
                junit.substring(0, Math.min(400, junit.length())));
        assertTrue(Files.size(dir.resolve("out/check.log")) > 0);
        assertEquals(tempBefore, attestTempDirs(), "no attest-run directory is left in the temporary directory");
    }

    /** A backend that never returns and ignores interrupts: the property times out, the worker is stopped. */
    @Test
    void aBackendThatHangsIgnoringInterruptsFailsWithinTheTimeout() throws Exception {
        Path jar = HostileJars.build(dir, Misbehaviour.HANG_IGNORING_INTERRUPTS);
        long start = System.nanoTime();
        Cli cli = HostileJars.runCli(dir, List.of("check", "--tries", "2", "--timeout", "3", "--json", "c.json",
                "--jar", jar.toString(), "--backend", Misbehaviour.HANG_IGNORING_INTERRUPTS.backendName()));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(1, cli.code(), cli.err() + cli.out());
        Report report = ReportJson.read(dir.resolve("c.json"));
        assertTrue(report.conformance().stream().anyMatch(r -> r.status() == Status.FAIL
                && r.message().contains("timeout")), report.conformance().toString());
        assertTrue(seconds < 120, "stopped within the timeout's reach, not after every property timed out: "
                + seconds + " s");
    }

    /**
     * A report over an honest backend that declares nothing (its undeclared workloads are shown as not measured) and
     * one that throws (a failure of that backend): the report is written whole, the other backends are measured.
     */
    @Test
    void aReportSkipsUndeclaredWorkloadsAndRecordsABackendThatThrows() throws Exception {
        Path minimal = HostileJars.build(dir, Misbehaviour.MINIMAL), thrower = HostileJars.build(dir, Misbehaviour.THROW);
        Cli cli = HostileJars.runCli(dir, List.of("report", "--profile", "tiny", "--no-fault-detection", "--out", "r",
                "--jar", minimal.toString(), "--jar", thrower.toString(), "--backend", "cpu-naive",
                "--backend", Misbehaviour.MINIMAL.backendName(), "--backend", Misbehaviour.THROW.backendName()));
        assertEquals(1, cli.code(), cli.err() + cli.out());
        Report report = ReportJson.read(dir.resolve("r/report.json"));
        assertTrue(Files.exists(dir.resolve("r/report.html")));
        String minimalName = Misbehaviour.MINIMAL.backendName(), throwName = Misbehaviour.THROW.backendName();
        assertTrue(report.conformance().stream().anyMatch(r -> r.backend().equals(minimalName)
                && r.status() == Status.UNSUPPORTED));
        assertTrue(report.measurementIssues().stream().anyMatch(i -> i.backend().equals(minimalName)
                && i.status() == Status.UNSUPPORTED && i.item().endsWith("-causal")), report.measurementIssues()
                .toString());
        assertTrue(report.accuracy().stream().anyMatch(a -> a.backend().equals(minimalName)),
                "its declared workloads are measured");
        assertTrue(report.measurementIssues().stream().anyMatch(i -> i.backend().equals(throwName)
                && i.status() == Status.FAIL && i.message().contains("kernel launch failed")), report
                .measurementIssues().toString());
        assertTrue(report.latency().stream().anyMatch(l -> l.backend().equals("cpu-naive")));
        assertTrue(cli.out().contains("not measured (unsupported)"), cli.out());
        String html = Files.readString(dir.resolve("r/report.html"));
        assertTrue(html.contains("Not measured, because the backend does not declare") && html.contains("FAIL "
                + throwName + " — accuracy:"), "the HTML shows both");
        assertTrue(report.conformance().stream().filter(r -> r.backend().equals(minimalName))
                .noneMatch(r -> r.status() == Status.FAIL), "an honest minimal backend fails nothing: "
                + report.conformance().stream().filter(r -> r.backend().equals(minimalName)
                && r.status() == Status.FAIL).map(PropertyResult::property).toList());
    }

    @Test
    void aBackendNameThatIsAPathIsRefusedAndWritesNothingOutsideTheOutput() throws Exception {
        Path jar = HostileJars.build(dir, Misbehaviour.PATH_IN_NAME);
        Files.createDirectories(dir.resolve("a/b"));
        Cli cli = HostileJars.runCli(dir.resolve("a/b"), List.of("bench", "--profile", "tiny", "--out", "o",
                "--jar", jar.toString(), "--backend", "cpu-naive"));
        assertEquals(1, cli.code(), cli.err() + cli.out());
        assertTrue(cli.err().contains("has an invalid name '../../escaped'"), cli.err());
        try (var files = Files.walk(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains("escaped")));
        }
    }

    /** Ctrl-C (SIGTERM here) mid-run: the worker dies with the CLI and no temporary directory is left. */
    @Test
    void anInterruptedRunLeavesNoWorkerAndNoTemporaryDirectory() throws Exception {
        Path jar = HostileJars.build(dir, Misbehaviour.HANG_IGNORING_INTERRUPTS);
        List<Path> before = attestTempDirs();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), AttestCli.class.getName(), "check",
                "--jar", jar.toString(), "--backend", Misbehaviour.HANG_IGNORING_INTERRUPTS.backendName()));
        Process cli = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("out.txt").toFile()).start();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (cli.descendants().findAny().isEmpty() && System.nanoTime() < deadline) Thread.sleep(100);
        List<ProcessHandle> workers = cli.descendants().toList();
        assertFalse(workers.isEmpty(), "a worker was started");
        Thread.sleep(1500);
        cli.destroy();
        assertTrue(cli.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        for (ProcessHandle w : workers) {
            w.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertEquals(before, attestTempDirs());
    }

    private static List<Path> attestTempDirs() throws Exception {
        try (var files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(p -> p.getFileName().toString().startsWith("attest-run")).sorted().toList();
        }
    }

    @Test
    void theLauncherKeepsTheCallersDirectory() throws Exception {
        String script = Files.readString(Path.of(System.getProperty("user.dir")).getParent().resolve("attest"));
        assertFalse(script.lines().anyMatch(l -> l.strip().startsWith("cd ")),
                "./attest must not change directory: the user's relative paths would resolve in the checkout");
    }
}
