package dev.attest.benchmarks;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The roofline for cpu-tiled's kernels: the single-thread fp32 FMA throughput the Java Vector API reaches on this
 * machine with 12 independent accumulators and no memory traffic, at the preferred vector width (16 floats with
 * AVX-512, 8 with AVX2). One op is {@link #FLOPS_PER_OP} flops whatever the width ({@link #STEPS} x 12 vector FMAs
 * of 2 x lanes flops each), so GFLOP/s = FLOPS_PER_OP / time without knowing which width ran.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--sun-misc-unsafe-memory-access=allow"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class FmaPeakBenchmark {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Flops in one op: 100 000 steps of 12 FMAs on 16 lanes; divisible by every power-of-two width up to 16. */
    public static final int FLOPS_PER_OP = 38_400_000;
    /** FMA steps per op at this machine's width. */
    static final int STEPS = FLOPS_PER_OP / (12 * 2 * F.length());
    public float x = 0.999f, y = 1e-6f;

    @Benchmark
    public float fma12() {
        return fma12(x, y);
    }

    /** The width of the preferred float species this JVM runs the kernel at, in bits (512 with AVX-512, 256 AVX2). */
    public static int vectorBits() {
        return F.vectorBitSize();
    }

    /** One op of the kernel ({@link #FLOPS_PER_OP} flops); also what {@code attest report} times as its roofline. */
    public static float fma12(float x, float y) {
        FloatVector b = FloatVector.broadcast(F, x), c = FloatVector.broadcast(F, y);
        FloatVector a0 = c, a1 = c, a2 = c, a3 = c, a4 = c, a5 = c, a6 = c, a7 = c, a8 = c, a9 = c, a10 = c, a11 = c;
        for (int i = 0; i < STEPS; i++) {
            a0 = a0.fma(b, c); a1 = a1.fma(b, c); a2 = a2.fma(b, c); a3 = a3.fma(b, c);
            a4 = a4.fma(b, c); a5 = a5.fma(b, c); a6 = a6.fma(b, c); a7 = a7.fma(b, c);
            a8 = a8.fma(b, c); a9 = a9.fma(b, c); a10 = a10.fma(b, c); a11 = a11.fma(b, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
