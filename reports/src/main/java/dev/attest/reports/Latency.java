package dev.attest.reports;

import dev.attest.reports.bench.AttentionBench;
import dev.attest.reports.bench.CalibrationBench;
import dev.attest.reports.bench.FmaPeakBench;
import dev.attest.reports.model.Roofline;
import dev.attest.reports.model.BenchSettings;
import dev.attest.reports.model.ConfigInfo;
import dev.attest.reports.model.Interval;
import dev.attest.reports.timing.Intervals;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.Metric;
import dev.attest.reports.model.ReportJson;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.annotations.Mode;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** Latency through JMH's programmatic runner: forks, warm-up and measurement from the profile's settings. */
public final class Latency {
    public static final String JMH_VERSION = "1.37";

    private Latency() {
    }

    private static ChainedOptionsBuilder options(BenchSettings s, Path jmhJson, int timeoutSeconds) {
        ChainedOptionsBuilder o = new OptionsBuilder().mode(Mode.AverageTime).timeUnit(TimeUnit.MILLISECONDS)
                .forks(s.forks()).warmupIterations(s.warmupIterations())
                .warmupTime(TimeValue.milliseconds(s.warmupMillis())).measurementIterations(s.measurementIterations())
                .measurementTime(TimeValue.milliseconds(s.measurementMillis())).threads(s.threads())
                .jvmArgsAppend("--add-modules", "jdk.incubator.vector", "-Djava.awt.headless=true",
                        "--sun-misc-unsafe-memory-access=allow")   // JMH's Unsafe use, warned about since JDK 24
                .verbosity(VerboseMode.SILENT).shouldFailOnError(true)
                .timeout(TimeValue.seconds(timeoutSeconds));
        // a fork instantiates only the backend it measures, as the worker that started it does
        String providers = System.getProperty("attest.providers");
        if (providers != null) o.jvmArgsAppend("-Dattest.providers=" + providers);
        if (jmhJson != null) {
            try {
                java.nio.file.Files.createDirectories(jmhJson.toAbsolutePath().getParent());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            o.resultFormat(ResultFormatType.JSON).result(jmhJson.toString());
        }
        return o;
    }

    /** The untimed outputs on the bench's inputs A and B that the timed calls must reproduce bit for bit. */
    public record Expected(Path a, Path b) {
    }

    /** A latency figure, or why there is none: the timed calls' output was not what the untimed calls wrote. */
    public record Outcome(LatencyResult result, String integrityFailure) {
    }

    /**
     * Measures {@code backend} on one configuration: each fork warms up adaptively, JMH times it, the output of the
     * timed calls is checked against {@code expected}. The figure is the median with its 95% interval; when that
     * interval is unreliable the configuration is measured once more with twice the iterations (a burst of load
     * should not cost a figure), and the second figure stands, reliable or not.
     */
    public static Outcome measure(String backend, ConfigInfo config, BenchSettings s, List<Path> jars, Path jmhJson,
                                  int timeoutSeconds, Expected expected) {
        Outcome first = measureOnce(backend, config, s, jars, jmhJson, timeoutSeconds, expected);
        if (first.integrityFailure() != null || first.result().metric().reliable()) return first;
        BenchSettings twice = new BenchSettings(s.jmhVersion(), s.mode(), s.forks(), s.warmupIterations(),
                s.warmupMillis(), 2 * s.measurementIterations(), s.measurementMillis(), s.threads(), s.warmup());
        return measureOnce(backend, config, twice, jars, jmhJson, timeoutSeconds, expected);
    }

    private static Outcome measureOnce(String backend, ConfigInfo config, BenchSettings s, List<Path> jars,
                                       Path jmhJson, int timeoutSeconds, Expected expected) {
        String jarPath = String.join(File.pathSeparator, jars.stream().map(p -> p.toAbsolutePath().toString()).toList());
        try (TemporaryDirectory outcomes = TemporaryDirectory.create("attest-fork-outcome")) {
            var o = options(s, jmhJson, timeoutSeconds)
                    .include(Pattern.quote(AttentionBench.class.getName()) + "\\.attention$")
                    .param("backend", backend).param("config", ReportJson.MAPPER.writeValueAsString(config))
                    .param("jars", jarPath)
                    .param("warmup", s.warmup() == null ? "" : ReportJson.MAPPER.writeValueAsString(s.warmup()))
                    .param("expectedA", expected == null ? "" : expected.a().toString())
                    .param("expectedB", expected == null ? "" : expected.b().toString())
                    .param("outcomeFile", outcomes.resolve("fork").toString());
            Metric metric = metric(run(o), "attention");
            List<AttentionBench.ForkOutcome> forks = forkOutcomes(outcomes.path());
            String integrity = forks.stream().map(AttentionBench.ForkOutcome::integrityFailure)
                    .filter(java.util.Objects::nonNull).findFirst().orElse(null);
            if (expected != null && forks.isEmpty()) integrity = "no fork reported its integrity check";
            Interval interval = metric.interval();
            for (AttentionBench.ForkOutcome f : forks) {
                if (f.warmUp() != null && !f.warmUp().settled()) interval = interval.markedUnreliable(f.warmUp().unsettledReason());
            }
            metric = new Metric(metric.label(), metric.unit(), metric.score(), metric.error(), metric.samples(),
                    metric.role(), interval);
            return new Outcome(new LatencyResult(backend, config.name(), metric), integrity);
        }
    }

    private static List<AttentionBench.ForkOutcome> forkOutcomes(Path dir) {
        try (var files = java.nio.file.Files.list(dir)) {
            List<AttentionBench.ForkOutcome> out = new ArrayList<>();
            for (Path f : files.sorted().toList()) {
                out.add(ReportJson.MAPPER.readValue(java.nio.file.Files.readString(f), AttentionBench.ForkOutcome.class));
            }
            return out;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The calibration workload of this run. */
    public static Metric calibration(BenchSettings s, Path jmhJson) {
        var o = options(s, jmhJson, 600).include(Pattern.quote(CalibrationBench.class.getName()) + "\\.matmul$");
        return metric(run(o), "calibration matmul 96x96");
    }

    /**
     * The FMA roofline of this run: {@link FmaPeakBench} on one thread, then on {@code threads} threads at once
     * (JMH's own threads, each timing its ops), with the profile's forks and iterations.
     */
    public static Roofline roofline(BenchSettings s, Path jmhDir, int threads) {
        String bench = Pattern.quote(FmaPeakBench.class.getName()) + "\\.fma12$";
        Metric one = metric(run(options(s, jmhDir == null ? null : jmhDir.resolve("fma-peak-1.json"), 600)
                .include(bench).threads(1)), "fma12 on 1 thread");
        Metric all = threads == 1 ? one : metric(run(options(s, jmhDir == null ? null : jmhDir.resolve("fma-peak-" + threads + ".json"), 600)
                .include(bench).threads(threads)), "fma12 on " + threads + " threads");
        return new Roofline("FmaPeakBenchmark.fma12 (12 Vector API FMA chains, preferred width)",
                dev.attest.benchmarks.FmaPeakBenchmark.FLOPS_PER_OP, one, threads, all);
    }

    private static Collection<RunResult> run(ChainedOptionsBuilder o) {
        try {
            return new Runner(o.build()).run();
        } catch (RunnerException e) {
            String first = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new RunFailure("the JMH run failed: " + first + (first.contains("JMH lock")
                    ? " (another benchmark is running; wait for it, e.g. flock /tmp/attest-bench.lock ./attest ...)" : ""), e);
        }
    }

    private static Metric metric(Collection<RunResult> results, String label) {
        RunResult run = results.iterator().next();
        List<Double> samples = new ArrayList<>();
        for (BenchmarkResult br : run.getBenchmarkResults()) {
            for (IterationResult ir : br.getIterationResults()) samples.add(ir.getPrimaryResult().getScore());
        }
        Result<?> primary = run.getPrimaryResult();
        double error = primary.getScoreError();
        return new Metric(label, primary.getScoreUnit(), primary.getScore(), Double.isFinite(error) ? error : null,
                samples, "primary", Intervals.of(samples));
    }
}
