package dev.attest.benchmarks;

import dev.attest.backends.tiled.CpuTiledBackend;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.ElementType;
import dev.attest.reference.Layout;
import dev.attest.reference.Tensor;
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
 * cpu-tiled's prefill in fp32, bf16 and fp16 side by side: the same values (drawn representable in bf16 and fp16, so
 * every run attends to the same numbers), B = 1, H = 8, D = 64, n = 2048, non-causal, on one fork/join worker.
 * The low-precision runs widen K, V and Q while packing tiles (O(n d) per head beside O(n^2 d) arithmetic) and round
 * the output once; the claim under test is that this costs no more than the halved input memory saves.
 *
 * <pre>
 *   ./build -pl benchmarks -am package -DskipTests
 *   flock /tmp/attest-bench.lock java -jar benchmarks/target/benchmarks.jar TiledPrecisionBenchmark \
 *       -f 2 -wi 4 -i 5 -w 1s -r 1s -rf json -rff attest-out/tiled-precision.json
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--sun-misc-unsafe-memory-access=allow", "-Xmx2g"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class TiledPrecisionBenchmark {
    static final int HEADS = 8, HEAD_DIM = 64;

    @Param({"fp32", "bf16", "fp16"})
    public String type;

    @Param({"2048"})
    public int n;

    private AttentionProblem problem;
    private Tensor out;
    private ForkJoinPool pool;
    private ForkJoinTask<?> call;

    @Setup(Level.Trial)
    public void setUp() {
        ElementType element = ElementType.valueOf(type.toUpperCase(java.util.Locale.ROOT));
        AttentionSpec spec = AttentionSpec.builder().heads(HEADS, HEADS).lengths(n, n).headDim(HEAD_DIM).build();
        SplittableRandom random = new SplittableRandom(20261202);
        problem = new AttentionProblem(spec, tensor(random, element), tensor(random, element), tensor(random, element));
        out = problem.allocateOutput(Layout.BHSD);
        if (element != ElementType.FP32) out = out.to(element);
        CpuTiledBackend backend = new CpuTiledBackend();
        pool = new ForkJoinPool(1);
        call = ForkJoinTask.adapt(() -> backend.attention(problem, out));
    }

    /** Uniform values in [-1, 1) rounded to bf16 (hence representable in fp16 too), stored in {@code element}. */
    private Tensor tensor(SplittableRandom random, ElementType element) {
        Tensor t = Tensor.zeros(element, 1, HEADS, n, HEAD_DIM);
        int[] i = new int[4];
        for (i[2] = 0; i[2] < n; i[2]++) {
            for (i[1] = 0; i[1] < HEADS; i[1]++) {
                for (i[3] = 0; i[3] < HEAD_DIM; i[3]++) {
                    t.set((float) ElementType.BF16.round(random.nextDouble() * 2 - 1), i);
                }
            }
        }
        return t;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public Tensor prefill() {
        call.reinitialize();
        pool.invoke(call);
        return out;
    }
}
