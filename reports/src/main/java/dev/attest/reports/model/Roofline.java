package dev.attest.reports.model;

/**
 * The machine's measured fp32 FMA peak in this run ({@code FmaPeakBenchmark}'s kernel: 12 independent Vector API FMA
 * chains at the preferred width, no memory traffic), on one thread and on {@code threads} threads at once. CPU
 * backends' GFLOP/s are read as a share of {@link #peakGflops()}; a figure above it is implausible.
 *
 * @param flopsPerOp flops of one timed op, whatever the vector width
 * @param oneThread  ms per op on one thread
 * @param allThreads ms per op per thread with {@code threads} threads running it together
 */
public record Roofline(String kernel, long flopsPerOp, Metric oneThread, int threads, Metric allThreads) {

    /** GFLOP/s of one thread, from the median. */
    public double oneThreadGflops() {
        return flopsPerOp / (oneThread.center() * 1e6);
    }

    /** GFLOP/s of the whole machine: every thread's ops together. */
    public double peakGflops() {
        return Math.max(oneThreadGflops(), threads * flopsPerOp / (allThreads.center() * 1e6));
    }
}
