package dev.attest.benchmarks;

import dev.attest.backends.batched.CpuBatchedBackend;
import dev.attest.backends.tiled.CpuTiledBackend;
import dev.attest.onnxruntime.OnnxRuntimeBackend;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Layout;
import dev.attest.reference.Tensor;
import dev.attest.spi.AttentionBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.TimeUnit;

/**
 * cpu-tiled, cpu-batched and ONNX Runtime's CPU Attention operator side by side on the same inputs: fp32, B = 1,
 * H = 8, D = 64, non-causal and causal (top-left), on 1 and 2 threads. The Java backends run inside a fork/join pool
 * of {@code threads} workers (their parallel loops use the pool they run in); ONNX Runtime gets
 * {@code threads} intra-op threads. Time per call; {@code scripts/bench-table.py} turns the JSON into GFLOP/s
 * (4 B H n^2 D flops non-causal, 4 B H D n(n+1)/2 causal) and ratios within the same run.
 *
 * <pre>
 *   ./build -pl benchmarks -am package -DskipTests
 *   flock /tmp/attest-bench.lock java -jar benchmarks/target/benchmarks.jar 'AttentionBenchmark|FmaPeakBenchmark' \
 *       -f 1 -wi 4 -i 5 -w 1s -r 1s -prof gc -rf json -rff attest-out/bench.json
 *   python3 scripts/bench-table.py attest-out/bench.json
 * </pre>
 *
 * Four warm-up iterations, not fewer: the first call of a new shape runs the Vector API kernels uncompiled (about a
 * second at n = 512), and a shorter warm-up leaves that call inside the measurement. Results and their reading:
 * {@code benchmarks/results/attention-*.md}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--sun-misc-unsafe-memory-access=allow", "-Xmx4g"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class AttentionBenchmark {
    static final int BATCH = 1, HEADS = 8, HEAD_DIM = 64;

    @Param({"cpu-tiled", "cpu-batched", "onnxruntime"})
    public String backend;

    @Param({"128", "512", "2048", "4096"})
    public int n;

    @Param({"false", "true"})
    public boolean causal;

    @Param({"1", "2"})
    public int threads;

    private AttentionBackend impl;
    private AttentionProblem problem;
    private Tensor out;
    private ForkJoinPool pool;
    private ForkJoinTask<?> call;

    @Setup(Level.Trial)
    public void setUp() {
        AttentionSpec.Builder spec = AttentionSpec.builder().batch(BATCH).heads(HEADS, HEADS).lengths(n, n)
                .headDim(HEAD_DIM);
        if (causal) spec.causal(Alignment.TOP_LEFT);
        SplittableRandom random = new SplittableRandom(20261123);
        problem = new AttentionProblem(spec.build(), randomTensor(random), randomTensor(random), randomTensor(random));
        out = problem.allocateOutput(Layout.BHSD);
        impl = switch (backend) {
            case "cpu-tiled" -> new CpuTiledBackend();
            case "cpu-batched" -> new CpuBatchedBackend();
            case "onnxruntime" -> new OnnxRuntimeBackend(threads);
            default -> throw new IllegalArgumentException("unknown backend " + backend);
        };
        if (!backend.equals("onnxruntime")) {
            pool = new ForkJoinPool(threads);
            call = ForkJoinTask.adapt(() -> impl.attention(problem, out));
        }
    }

    private Tensor randomTensor(SplittableRandom random) {
        Tensor t = Tensor.zeros(BATCH, HEADS, n, HEAD_DIM);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (float) (random.nextDouble() * 2 - 1);
        return t;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (pool != null) pool.close();
    }

    @Benchmark
    public Tensor attention() {
        if (pool == null) {
            impl.attention(problem, out);
        } else {
            call.reinitialize();
            pool.invoke(call);
        }
        return out;
    }
}
