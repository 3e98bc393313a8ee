package dev.attest.benchmarks;

import dev.attest.backends.tiled.CpuTiledBackend;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.Chunk;
import dev.attest.reference.cache.Eviction;
import dev.attest.reference.packed.PackedProblem;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.KvCache;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The serving layouts against the plain ones, cpu-tiled, fp32, Hq = Hkv = 8, D = 64 (issue 17's targets):
 *
 * <ul>
 *   <li>{@link #decode}: one decode step over L = {@code cachedLength} cached tokens, the cache contiguous
 *       ({@code blockSize} 0) or paged in blocks of 16 slots (vLLM's default), its blocks scattered through the
 *       pool by a rollback. Target: paged within 10% of contiguous at L = 4096. The step appends a token and rolls
 *       back to L, so the cache never grows during the run (as {@link DecodeBenchmark} does).</li>
 *   <li>{@link #packed} against {@link #oneByOne}: a packed batch of 8 sequences of mixed lengths (32 to 1024
 *       queries and keys, causal bottom-right) in one {@code packedAttention} call, and the same sequences run one
 *       attention call each. Target: packed no slower.</li>
 * </ul>
 *
 * <pre>
 * ./build -pl benchmarks -am package -DskipTests
 * flock /tmp/attest-bench.lock java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar \
 *     ServingBenchmark -f 2 -wi 5 -i 10 -w 1s -r 1s -rf json -rff target/serving.json
 * </pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
public class ServingBenchmark {
    static final int HEADS = 8, DIM = 64;
    /** The packed batch: mixed lengths, the longest 32 times the shortest. */
    static final int[] LENGTHS = {1024, 32, 512, 96, 768, 64, 256, 160};

    /** A cache of L tokens, contiguous or paged. */
    @State(Scope.Thread)
    public static class Cache {
        @Param({"1024", "4096"})
        public int cachedLength;

        @Param({"0", "16"})
        public int blockSize;

        private final AttentionBackend backend = new CpuTiledBackend();
        private KvCache cache;
        private Chunk next;
        private Tensor nextOut;
        private int[] rollback;

        @Setup(Level.Trial)
        public void setUp() {
            SplittableRandom random = new SplittableRandom(cachedLength * 31L + blockSize);
            int total = cachedLength + 1;
            cache = backend.openCache(CacheSpec.core(STEP, total, Eviction.NONE).paged(blockSize));
            // a prefill, a rollback to a quarter and a refill: a paged cache's blocks end up out of order in the pool
            fill(random, cachedLength / 2);
            cache.truncate(new int[]{cachedLength / 4});
            fill(random, cachedLength - cachedLength / 4);
            next = Chunk.core(random(random, 1), random(random, 1), random(random, 1));
            nextOut = Tensor.zeros(1, HEADS, 1, DIM);
            rollback = new int[]{cachedLength};
        }

        private void fill(SplittableRandom random, int tokens) {
            cache.append(Chunk.core(random(random, tokens), random(random, tokens), random(random, tokens)),
                    Tensor.zeros(1, HEADS, tokens, DIM));
        }
    }

    /** The packed batch and its sequences alone. */
    @State(Scope.Thread)
    public static class Packed {
        final AttentionBackend backend = new CpuTiledBackend();
        PackedProblem packed;
        private Tensor packedOut;
        AttentionProblem[] alone;
        Tensor[] aloneOut;

        @Setup(Level.Trial)
        public void setUp() {
            SplittableRandom random = new SplittableRandom(17);
            int[] cu = new int[LENGTHS.length + 1];
            for (int b = 0; b < LENGTHS.length; b++) cu[b + 1] = cu[b] + LENGTHS[b];
            int longest = java.util.Arrays.stream(LENGTHS).max().orElseThrow(), rows = cu[LENGTHS.length];
            AttentionSpec spec = STEP.toBuilder().batch(LENGTHS.length).lengths(longest, longest)
                    .causal(Alignment.BOTTOM_RIGHT).build();
            packed = new PackedProblem(spec, packedRows(random, rows), packedRows(random, rows),
                    packedRows(random, rows), cu, cu);
            packedOut = packed.allocateOutput();
            alone = new AttentionProblem[LENGTHS.length];
            aloneOut = new Tensor[LENGTHS.length];
            for (int b = 0; b < LENGTHS.length; b++) {
                alone[b] = packed.sequence(b);
                aloneOut[b] = alone[b].allocateOutput(dev.attest.reference.Layout.BHSD);
            }
        }
    }

    static final AttentionSpec STEP = AttentionSpec.builder().heads(HEADS, HEADS).headDim(DIM)
            .causal(Alignment.TOP_LEFT).build();

    /** One decode step over L cached tokens: append the next token, then roll back to L. */
    @Benchmark
    public Tensor decode(Cache c) {
        c.cache.append(c.next, c.nextOut);
        c.cache.truncate(c.rollback);
        return c.nextOut;
    }

    /** The packed batch in one call. */
    @Benchmark
    public Tensor packed(Packed p) {
        p.backend.packedAttention(p.packed, p.packedOut);
        return p.packedOut;
    }

    /** The packed batch's sequences, one attention call each. */
    @Benchmark
    public Tensor[] oneByOne(Packed p) {
        for (int b = 0; b < p.alone.length; b++) p.backend.attention(p.alone[b], p.aloneOut[b]);
        return p.aloneOut;
    }

    private static Tensor random(SplittableRandom random, int length) {
        Tensor t = Tensor.zeros(1, HEADS, length, DIM);
        float[] data = t.data();
        for (int i = 0; i < data.length; i++) data[i] = (float) (random.nextDouble() * 2 - 1);
        return t;
    }

    private static Tensor packedRows(SplittableRandom random, int rows) {
        Tensor t = Tensor.zeros(rows, HEADS, DIM);
        float[] data = t.data();
        for (int i = 0; i < data.length; i++) data[i] = (float) (random.nextDouble() * 2 - 1);
        return t;
    }
}
