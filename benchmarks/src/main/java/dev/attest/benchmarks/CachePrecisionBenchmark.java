package dev.attest.benchmarks;

import dev.attest.backends.tiled.CpuTiledBackend;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Descale;
import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.CacheTypes;
import dev.attest.reference.cache.Chunk;
import dev.attest.reference.cache.Eviction;
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
 * One decode step of cpu-tiled's KV cache stored in fp32, bf16, fp8 E4M3 and fp8 E5M2, side by side. The cache holds
 * B = 256 sequences of L = 256 tokens, Hq = Hkv = 8 heads of D = 128: 2 x 256 x 256 x 8 x 128 = 134M elements, i.e.
 * 512 MiB in fp32, 256 MiB in bf16, 128 MiB in fp8 — all several times the 32 MiB last-level cache of the machine
 * these figures were taken on, so a step (one new token for every sequence: each reads its whole cache once) streams
 * the cache from memory and its time is the cache's bytes over the bandwidth one core draws, plus whatever the
 * widening costs where it does not hide behind the loads.
 *
 * <p>Each invocation appends one token to every sequence and rolls them back (O(1)), so the cache never grows.
 * Activations are fp32 over the fp32 cache and bf16 over the others (a step's one query and output per head are
 * nothing beside its cache). The prefill that fills the cache runs once per trial.
 *
 * <pre>
 *   ./build -pl benchmarks -am package -DskipTests
 *   flock /tmp/attest-bench.lock java -jar benchmarks/target/benchmarks.jar CachePrecisionBenchmark \
 *       -f 2 -wi 3 -i 5 -w 2s -r 2s -rf json -rff attest-out/cache-precision.json
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--sun-misc-unsafe-memory-access=allow", "-Xmx8g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CachePrecisionBenchmark {
    static final int LENGTH = 256, HEADS = 8, DIM = 128;

    @Param({"fp32", "bf16", "fp8_e4m3", "fp8_e5m2"})
    public String storage;

    /** Sequences: 256 makes the cache several times the LLC; {@code -p batch=4} (8 MiB in fp32) keeps it in cache. */
    @Param({"256"})
    public int batch;

    private KvCache cache;
    private Chunk next;
    private Tensor nextOut;
    private int[] rollback;

    @Setup(Level.Trial)
    public void setUp() {
        ElementType stored = ElementType.valueOf(storage.toUpperCase(java.util.Locale.ROOT));
        ElementType act = stored == ElementType.FP32 ? ElementType.FP32 : ElementType.BF16;
        // values in [-1, 1): a descale of 2/448 (E4M3) or 2/57344 (E5M2) puts them in the upper half of the format
        CacheTypes types = !stored.isFp8() ? CacheTypes.of(act, stored) : CacheTypes.fp8(act, stored,
                Descale.of((float) (2 / stored.maxFinite())), Descale.of((float) (2 / stored.maxFinite())));
        AttentionSpec step = AttentionSpec.builder().batch(batch).heads(HEADS, HEADS).headDim(DIM)
                .causal(Alignment.TOP_LEFT).build();
        cache = new CpuTiledBackend().openCache(CacheSpec.core(step, LENGTH + 1, Eviction.NONE).withTypes(types));
        SplittableRandom random = new SplittableRandom(20261202);
        cache.append(Chunk.core(random(random, act, LENGTH), random(random, act, LENGTH), random(random, act, LENGTH)),
                Tensor.zeros(act, batch, HEADS, LENGTH, DIM));
        next = Chunk.core(random(random, act, 1), random(random, act, 1), random(random, act, 1));
        nextOut = Tensor.zeros(act, batch, HEADS, 1, DIM);
        rollback = new int[batch];
        java.util.Arrays.fill(rollback, LENGTH);
    }

    private Tensor random(SplittableRandom random, ElementType type, int length) {
        Tensor t = Tensor.zeros(type, batch, HEADS, length, DIM);
        int[] i = new int[4];
        for (i[0] = 0; i[0] < batch; i[0]++)
            for (i[1] = 0; i[1] < HEADS; i[1]++)
                for (i[2] = 0; i[2] < length; i[2]++)
                    for (i[3] = 0; i[3] < DIM; i[3]++) t.set((float) (random.nextDouble() * 2 - 1), i);
        return t;
    }

    /** One new token for every sequence, then back to L. */
    @Benchmark
    public Tensor decode() {
        cache.append(next, nextOut);
        cache.truncate(rollback);
        return nextOut;
    }
}
