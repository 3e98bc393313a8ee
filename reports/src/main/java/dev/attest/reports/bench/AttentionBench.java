package dev.attest.reports.bench;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Layout;
import dev.attest.reference.Tensor;
import dev.attest.reports.Workloads;
import dev.attest.reports.model.ConfigInfo;
import dev.attest.reports.model.ReportJson;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Backends;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One core attention call of a backend on a configuration. The configuration travels as JSON in a parameter, so
 * a forked JVM needs nothing but the class path (third-party jars are on it via {@code jarPath}).
 */
@State(Scope.Benchmark)
public class AttentionBench {
    @Param("")
    public String backend;
    @Param("")
    public String config;
    @Param("")
    public String jars;

    private AttentionBackend impl;
    private AttentionProblem problem;
    private Tensor out;

    @Setup
    public void setup() throws Exception {
        if (!jars.isEmpty()) {
            java.util.List<java.net.URL> urls = new java.util.ArrayList<>();
            for (String j : jars.split(java.io.File.pathSeparator)) urls.add(java.nio.file.Path.of(j).toUri().toURL());
            Thread.currentThread().setContextClassLoader(new java.net.URLClassLoader(urls.toArray(java.net.URL[]::new),
                    Thread.currentThread().getContextClassLoader()));
        }
        impl = Backends.byName(backend);
        ConfigInfo c = ReportJson.MAPPER.readValue(config, ConfigInfo.class);
        problem = Workloads.problem(c, 7);
        out = Workloads.output(c, problem);
    }

    @Benchmark
    public Tensor attention() {
        impl.attention(problem, out);
        return out;
    }
}
