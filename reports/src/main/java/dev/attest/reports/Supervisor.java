package dev.attest.reports;

import dev.attest.reports.model.ReportJson;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Runs each {@link WorkerRequest} in a worker JVM of its own and watches it. A backend is untrusted code: it may call
 * {@code System.exit}, run out of memory, hang ignoring interrupts or crash the JVM through native code. None of that
 * can reach this JVM; each becomes a {@link Outcome#failure()} naming what happened, and the results the worker wrote
 * before it ended are kept.
 *
 * <p>Why a JVM per backend and task rather than per property: a JVM start costs about a second, the kit has about
 * sixty properties per backend, and a backend that ends its JVM mid-run loses only the properties not yet run, which
 * the failure names. Why not threads: nothing in one JVM survives {@code System.exit} or a crash, and a thread that
 * ignores interrupts cannot be stopped.
 */
final class Supervisor {
    /**
     * How long past the timeout a worker may go without writing a result before it is killed: time for the kit's own
     * timeout to fire first and record which property hung, and for the JVM to start.
     */
    static int graceSeconds(int timeoutSeconds) {
        return Math.min(Math.max(timeoutSeconds, 5), 60);
    }
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile Path root;

    private Supervisor() {
    }

    /**
     * What a worker left: its results in order, and, when it did not finish, one paragraph saying how it ended.
     *
     * @param log the kit's statistics the worker captured (empty when it did not finish)
     */
    record Outcome(List<WorkerEvent> events, String failure, String log, List<Path> junitXml) {
        boolean finished() {
            return failure == null;
        }
    }

    /** Runs {@code request}, calling {@code onEvent} for each result as it arrives (for progress). */
    static Outcome run(WorkerRequest request, Consumer<WorkerEvent> onEvent) {
        Path dir = newDirectory(request.task() + "-" + safe(request.subject()));
        Path results = dir.resolve(WorkerCommand.RESULTS), output = dir.resolve("output.log");
        try {
            Files.writeString(dir.resolve(WorkerCommand.REQUEST), ReportJson.MAPPER.writeValueAsString(request));
            Files.createFile(results);
        } catch (IOException e) {
            throw new RunFailure("cannot prepare a worker in " + dir + ": " + e.getMessage(), e);
        }
        ProcessBuilder builder = new ProcessBuilder(command(dir)).redirectErrorStream(true)
                .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new RunFailure("cannot start a worker JVM (" + builder.command().getFirst() + "): " + e.getMessage(), e);
        }
        LIVE.add(process);
        try {
            return watch(request, process, dir, results, output, onEvent);
        } finally {
            if (process.isAlive()) process.destroyForcibly();
            LIVE.remove(process);
        }
    }

    private static Outcome watch(WorkerRequest request, Process process, Path dir, Path results, Path output,
                                 Consumer<WorkerEvent> onEvent) {
        ResultsTail tail = new ResultsTail(results);
        int timeout = request.settings().timeoutSeconds(), grace = graceSeconds(timeout);
        long limitNanos = TimeUnit.SECONDS.toNanos((long) timeout + grace);
        long lastEvent = System.nanoTime();
        boolean hung = false;
        while (true) {
            boolean exited = waitFor(process, 200);
            List<WorkerEvent> fresh = tail.read();
            if (!fresh.isEmpty()) lastEvent = System.nanoTime();
            for (WorkerEvent e : fresh) if (!WorkerEvent.DONE.equals(e.kind())) onEvent.accept(e);
            if (tail.done()) {
                waitFor(process, 5_000);                      // it may still be flushing; it has nothing more to say
                break;
            }
            if (exited) break;
            if (System.nanoTime() - lastEvent > limitNanos) {
                hung = true;
                process.destroyForcibly();
                waitFor(process, 10_000);
                break;
            }
        }
        tail.read();
        String failure = tail.done() ? null : tail.corrupt() != null ? tail.corrupt()
                : hung ? "hung: wrote no result for " + (timeout + grace) + " s (the timeout of " + timeout + " s plus "
                + grace + " s), so its worker JVM was killed"
                : ending(process.exitValue(), output);
        if (failure != null) {
            failure = failure + "; " + tail.events().size() + " result(s) recorded before"
                    + (tail.events().isEmpty() ? "" : ", the last: " + tail.events().getLast().describe())
                    + lastLines(output);
        }
        String log = readOrEmpty(dir.resolve(WorkerCommand.STATISTICS));
        List<Path> junit = listXml(dir.resolve(WorkerCommand.JUNIT));
        return new Outcome(tail.events().stream().filter(e -> !WorkerEvent.DONE.equals(e.kind())).toList(), failure,
                log, junit);
    }

    /** How a worker that exited without finishing ended, from its exit code and last output. */
    static String ending(int code, Path output) {
        String text = readOrEmpty(output);
        if (text.contains("java.lang.OutOfMemoryError")) {
            return "ran out of memory: its worker JVM ended with java.lang.OutOfMemoryError (heap limit "
                    + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB)";
        }
        if (code > 128) {
            return "crashed: its worker JVM was killed by signal " + (code - 128) + " (" + signalName(code - 128)
                    + (text.contains("hs_err_pid") ? "; the JVM wrote an hs_err_pid*.log crash file" : "") + ")";
        }
        return "ended its worker JVM before the run finished, with exit code " + code
                + " (System.exit or Runtime.halt called by the backend?)";
    }

    private static String signalName(int signal) {
        return switch (signal) {
            case 6 -> "SIGABRT: an abort, often a crash in native code";
            case 9 -> "SIGKILL: killed from outside, e.g. by the kernel's out-of-memory killer";
            case 11 -> "SIGSEGV: a crash in native code";
            case 15 -> "SIGTERM: terminated from outside";
            default -> "signal " + signal;
        };
    }

    private static String lastLines(Path output) {
        List<String> lines = readOrEmpty(output).lines().filter(l -> !l.isBlank())
                .filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        if (lines.isEmpty()) return "";
        return "; its last output: " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()))
                .strip();
    }

    private static boolean waitFor(Process process, long millis) {
        try {
            return process.waitFor(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new RunFailure("interrupted while a worker ran", e);
        }
    }

    /** The worker's command line: this JVM's java and class path, and the settings a backend may depend on. */
    private static List<String> command(Path dir) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            command.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        // The same heap limit as this JVM's, so a run behaves as it did in one JVM; an OutOfMemoryError ends the
        // worker at once (exit 3) instead of leaving a JVM whose state no later property could trust.
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-Xmx") || a.startsWith("-Xss")).forEach(command::add);
        // JMH (1.37) reads field offsets through sun.misc.Unsafe, which JDK 24+ warns about on every run (JEP 498)
        command.addAll(List.of("-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true",
                "--sun-misc-unsafe-memory-access=allow"));
        for (Map.Entry<Object, Object> p : System.getProperties().entrySet()) {
            if (p.getKey() instanceof String key && (key.startsWith("attest.") || key.startsWith("jmh."))
                    && p.getValue() instanceof String value) {
                command.add("-D" + key + "=" + value);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), AttestCli.class.getName(),
                WorkerCommand.NAME, dir.toString()));
        return command;
    }

    private static java.io.File nullDevice() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    /** A fresh directory for one worker under this run's temporary directory (removed when this JVM exits). */
    private static synchronized Path newDirectory(String name) {
        try {
            if (root == null) {
                root = Files.createTempDirectory("attest-run");
                // Ctrl-C or a failed run: no worker outlives this JVM, no temporary directory is left behind
                Runtime.getRuntime().addShutdownHook(new Thread(Supervisor::cleanUp, "attest-cleanup"));
            }
            return Files.createTempDirectory(root, name);
        } catch (IOException e) {
            throw new RunFailure("cannot create a worker directory: " + e.getMessage(), e);
        }
    }

    /** Kills live workers and removes this run's temporary files; also called at the end of each command. */
    static synchronized void cleanUp() {
        LIVE.forEach(Process::destroyForcibly);
        if (root == null) return;
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort: a file still held open by a dying worker
        }
        root = null;
    }

    private static String safe(String name) {
        return name == null ? "discovery" : name.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** The file's last 64 KiB as text (malformed bytes replaced), or "" when it cannot be read. */
    static String readOrEmpty(Path file) {
        try (var channel = java.nio.channels.FileChannel.open(file)) {
            long size = channel.size(), from = Math.max(0, size - 65_536);
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate((int) (size - from));
            while (buffer.hasRemaining() && channel.read(buffer, from + buffer.position()) > 0) {
                // read until the buffer is full
            }
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException e) {
            return "";
        }
    }

    private static List<Path> listXml(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".xml")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
