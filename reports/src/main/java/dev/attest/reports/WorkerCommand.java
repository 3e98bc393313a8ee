package dev.attest.reports;

import dev.attest.reports.model.PropertyResult;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.Status;
import dev.attest.reports.golden.GoldenRun;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Backends;
import dev.attest.spi.LinearAttentionBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;

/**
 * The worker side of {@link Supervisor}: a hidden command that runs one {@link WorkerRequest} from {@code DIR} and
 * appends each result to {@code DIR/results.jsonl} as soon as it exists (flushed, so a worker that dies keeps what it
 * wrote), then a {@code done} line.
 */
@Command(name = WorkerCommand.NAME, hidden = true, description = "internal: one backend's work in its own JVM")
public final class WorkerCommand implements Callable<Integer> {
    static final String NAME = "worker";
    static final String REQUEST = "request.json", RESULTS = "results.jsonl", STATISTICS = "statistics.log",
            JUNIT = "junit";

    @Parameters(index = "0", paramLabel = "DIR")
    Path dir;

    @Override
    public Integer call() throws IOException {
        WorkerRequest request = ReportJson.MAPPER.readValue(Files.readString(dir.resolve(REQUEST)), WorkerRequest.class);
        try (Emitter emit = new Emitter(dir.resolve(RESULTS))) {
            try {
                if (request.backend() != null) {
                    System.setProperty("attest.providers", request.backend().className());
                }
                BackendSelection.addJars(request.settings().jars().stream().map(Path::of).toList());
                switch (request.task()) {
                    case WorkerRequest.DISCOVER -> discover(request.skip(), emit);
                    case WorkerRequest.CONFORMANCE -> Files.writeString(dir.resolve(STATISTICS),
                            Conformance.runInProcess(request.settings(), request.backend(), dir.resolve(JUNIT),
                                    r -> cell(r, emit)));
                    case WorkerRequest.MEASURE -> WorkerMeasurements.run(request, emit);
                    case WorkerRequest.LENGTH_SWEEP -> WorkerMeasurements.lengthSweep(request, emit);
                    case WorkerRequest.GOLDEN -> GoldenRun.run(Path.of(request.golden()), request.cases(),
                            Backends.byName(request.backend().name()), r -> emit.accept(WorkerEvent.of(r)),
                            Failures::describe);
                    default -> throw new IllegalArgumentException("unknown worker task " + request.task());
                }
            } catch (RuntimeException | Error e) {
                // a failure outside any property (the kit or the backend's discovery): recorded, never lost
                emit.accept(WorkerEvent.of(new PropertyResult(request.subject(), "(worker)", Status.FAIL,
                        Failures.describe(e))));
            }
            emit.accept(WorkerEvent.done());
        }
        return AttestCli.OK;
    }

    /**
     * Passes a cell on. After a property that timed out the worker stops: its thread may still be running the
     * backend (one that ignores interrupts cannot be stopped), so no later property could be trusted, and every one
     * of them could hang as long again. The rest are not run, and a {@code (worker)} cell says so.
     */
    private static void cell(PropertyResult r, Emitter emit) {
        emit.accept(WorkerEvent.of(r));
        if (r.status() != Status.FAIL || r.message() == null || !r.message().contains(KIT_TIMEOUT_TAG)) return;
        emit.accept(WorkerEvent.of(new PropertyResult(r.backend(), Conformance.WORKER_CELL, Status.FAIL, r.backend()
                + " hung in " + r.property() + ": the worker stopped there, since a thread that ignores interrupts"
                + " cannot be stopped; the properties after it were not run")));
        emit.accept(WorkerEvent.done());
        Runtime.getRuntime().halt(AttestCli.OK);
    }

    /** What the kit's timeout failure says (the properties module's PropertyTimeout). */
    static final String KIT_TIMEOUT_TAG = "(attest.timeout)";

    /**
     * Instantiates each provider of both SPIs in turn, saying which one it is about to run first: if that one ends
     * the JVM, the supervisor knows whose constructor did, skips it and asks again.
     */
    private static void discover(List<String> skip, Emitter emit) {
        discover(AttentionBackend.class, false, skip, emit, (cls, b) -> new ProviderInfo(cls, false, b.name(),
                b.description(), precision(b.capabilities().precision()), b.unavailableReason().orElse(null),
                b.capabilities().features().stream().map(Enum::name).sorted().toList(), null, b.runsOn()));
        discover(LinearAttentionBackend.class, true, skip, emit, (cls, b) -> new ProviderInfo(cls, true, b.name(),
                b.description() + " (linear attention)", precision(b.capabilities().precision()), null, List.of(),
                null));
    }

    private static <T> void discover(Class<T> spi, boolean linear, List<String> skip, Emitter emit,
                                     java.util.function.BiFunction<String, T, ProviderInfo> describe) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        for (var provider : ServiceLoader.load(spi, loader).stream().toList()) {
            String cls = provider.type().getName();
            if (skip.contains(cls)) continue;
            emit.accept(WorkerEvent.loading(new ProviderInfo(cls, linear, null, null, null, null, null, null)));
            ProviderInfo info;
            try {
                info = describe.apply(cls, provider.get());
            } catch (RuntimeException | Error e) {
                info = new ProviderInfo(cls, linear, null, null, null, null, null, Failures.describe(e));
            }
            emit.accept(WorkerEvent.found(info));
        }
    }

    private static String precision(dev.attest.reference.Precision p) {
        return p.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Appends events as JSON lines, each flushed before the next result is computed. */
    static final class Emitter implements AutoCloseable, java.util.function.Consumer<WorkerEvent> {
        private final OutputStream out;

        Emitter(Path file) throws IOException {
            out = new FileOutputStream(file.toFile(), true);
        }

        @Override
        public synchronized void accept(WorkerEvent event) {
            try {
                String line = ReportJson.MAPPER.writer().without(tools.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(event) + "\n";
                out.write(line.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
