package dev.attest.reports.bench;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Tensor;
import dev.attest.reports.Workloads;
import dev.attest.reports.model.ConfigInfo;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.timing.OutputCheck;
import dev.attest.reports.timing.Sampler;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Backends;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One core attention call of a backend on a configuration. The configuration travels as JSON in a parameter, so
 * a forked JVM needs nothing but the class path (third-party jars are on it via {@code jarPath}).
 *
 * <p>Before JMH's own iterations the fork warms the backend up until its timing has settled ({@link Sampler#warmUp}:
 * a JIT-compiled Vector API kernel needs far longer than a fixed count allows). The timed calls alternate between two
 * inputs, A and B; before each iteration the output is poisoned, and after it the output must be bit-identical to
 * an untimed call's on the same input after warm-up, which must itself agree with the worker's first, cold call
 * within the JIT's rounding ({@link OutputCheck}). The fork writes how warm-up went and the first integrity failure
 * to {@code outcomeFile} for the worker to read.
 */
@State(Scope.Benchmark)
public class AttentionBench {
    /** Seeds of the two inputs the timed calls alternate between; A is the accuracy measurement's input. */
    public static final long SEED_A = dev.attest.reports.Accuracy.DATA_SEED, SEED_B = SEED_A + 1;

    @Param("")
    public String backend;
    @Param("")
    public String config;
    @Param("")
    public String jars;
    /** The warm-up rule as JSON ({@link Sampler}); empty: none beyond JMH's iterations. */
    @Param("")
    public String warmup;
    /** Files with the untimed outputs on A and B ({@link OutputCheck#write}); empty: no integrity check. */
    @Param("")
    public String expectedA;
    @Param("")
    public String expectedB;
    /** Where this fork writes its {@link ForkOutcome} (the fork's pid is appended); empty: nowhere. */
    @Param("")
    public String outcomeFile;

    private AttentionBackend impl;
    private AttentionProblem a, b;
    private Tensor out;
    private boolean lastWasA;
    private int[] bitsA, bitsB;
    private Sampler.WarmUp warmedUp;
    private String integrityFailure;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        if (!jars.isEmpty()) {
            java.util.List<java.net.URL> urls = new java.util.ArrayList<>();
            for (String j : jars.split(java.io.File.pathSeparator)) urls.add(java.nio.file.Path.of(j).toUri().toURL());
            Thread.currentThread().setContextClassLoader(new java.net.URLClassLoader(urls.toArray(java.net.URL[]::new),
                    Thread.currentThread().getContextClassLoader()));
        }
        impl = Backends.byName(backend);
        ConfigInfo c = ReportJson.MAPPER.readValue(config, ConfigInfo.class);
        a = Workloads.problem(c, SEED_A);
        b = Workloads.problem(c, SEED_B);
        out = Workloads.output(c, a);
        if (!warmup.isEmpty()) warmedUp = ReportJson.MAPPER.readValue(warmup, Sampler.class).warmUp(this::attention);
        if (!expectedA.isEmpty()) {
            // the references are taken with the warmed-up code; each must agree with the worker's cold output
            OutputCheck.poison(out);
            impl.attention(a, out);
            bitsA = OutputCheck.snapshot(out);
            OutputCheck.poison(out);
            impl.attention(b, out);
            bitsB = OutputCheck.snapshot(out);
            lastWasA = false;
            integrityFailure = OutputCheck.drift(out.type(), OutputCheck.read(Path.of(expectedA)), bitsA, "input A");
            if (integrityFailure == null) {
                integrityFailure = OutputCheck.drift(out.type(), OutputCheck.read(Path.of(expectedB)), bitsB, "input B");
            }
        }
    }

    @Setup(Level.Iteration)
    public void poison() {
        if (bitsA != null) OutputCheck.poison(out);
    }

    @Benchmark
    public Tensor attention() {
        lastWasA = !lastWasA;
        impl.attention(lastWasA ? a : b, out);
        return out;
    }

    @TearDown(Level.Iteration)
    public void check() {
        if (bitsA == null || integrityFailure != null) return;
        integrityFailure = OutputCheck.mismatch(out, lastWasA ? bitsA : bitsB, lastWasA ? "input A" : "input B");
    }

    @TearDown(Level.Trial)
    public void report() throws Exception {
        if (outcomeFile.isEmpty()) return;
        Files.writeString(Path.of(outcomeFile + "." + ProcessHandle.current().pid() + ".json"),
                ReportJson.MAPPER.writeValueAsString(new ForkOutcome(warmedUp, integrityFailure)));
    }

    /** What one fork saw besides its timings: how warm-up went, and the first integrity failure (null: none). */
    public record ForkOutcome(Sampler.WarmUp warmUp, String integrityFailure) {
    }
}
