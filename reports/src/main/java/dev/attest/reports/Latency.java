package dev.attest.reports;

import dev.attest.reports.bench.AttentionBench;
import dev.attest.reports.bench.CalibrationBench;
import dev.attest.reports.model.BenchSettings;
import dev.attest.reports.model.ConfigInfo;
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

    /** Measures {@code backend} on one configuration. */
    public static LatencyResult measure(String backend, ConfigInfo config, BenchSettings s, List<Path> jars,
                                        Path jmhJson, int timeoutSeconds) {
        String jarPath = String.join(File.pathSeparator, jars.stream().map(p -> p.toAbsolutePath().toString()).toList());
        var o = options(s, jmhJson, timeoutSeconds).include(Pattern.quote(AttentionBench.class.getName()) + "\\.attention$")
                .param("backend", backend).param("config", ReportJson.MAPPER.writeValueAsString(config))
                .param("jars", jarPath);
        return new LatencyResult(backend, config.name(), metric(run(o), "attention"));
    }

    /** The calibration workload of this run. */
    public static Metric calibration(BenchSettings s, Path jmhJson) {
        var o = options(s, jmhJson, 600).include(Pattern.quote(CalibrationBench.class.getName()) + "\\.matmul$");
        return metric(run(o), "calibration matmul 96x96");
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
                samples, "primary");
    }
}
