package dev.attest.reports.bench;

import dev.attest.benchmarks.FmaPeakBenchmark;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The machine's fp32 FMA peak through the Java Vector API, timed in every report run beside the backends (once on
 * one thread, once on every core): the roofline that each CPU backend's GFLOP/s is read against, and the bound beyond
 * which a speed figure is implausible. The kernel is {@link FmaPeakBenchmark#fma12}'s.
 */
@State(Scope.Thread)
public class FmaPeakBench {
    public float x = 0.999f, y = 1e-6f;

    @Benchmark
    public float fma12() {
        return FmaPeakBenchmark.fma12(x, y);
    }
}
