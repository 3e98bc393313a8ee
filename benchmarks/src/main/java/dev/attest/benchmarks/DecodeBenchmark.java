package dev.attest.benchmarks;

import dev.attest.backends.batched.CpuBatchedBackend;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.Chunk;
import dev.attest.reference.cache.Eviction;
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
 * Incremental decoding: the cost of one new token with a KV cache against recomputing without one.
 *
 * <p>The lesson (baseline vs right variant, as in the JMH samples): without a cache, producing the next token's
 * output means running causal attention over the whole sequence again, O(L^2 d); with a cache it is one query over
 * L cached keys, O(L d). So {@link #decode} should scale linearly with the cached length L (log-log slope near 1),
 * {@link #recompute} roughly quadratically, and their ratio should grow with L.
 *
 * <p>Pitfall: a decode step changes the cache. To measure the step at a fixed L, every invocation appends one token
 * and rolls back to L ({@link KvCache#truncate}, O(1)): the measured work is the step itself, the cache never
 * grows during the run, and the allocation per step (-prof gc, {@code gc.alloc.rate.norm}) must not depend on L.
 *
 * <p>Pitfall: this machine is shared, and load arrives in bursts that inflate a mean. The benchmark samples every
 * invocation ({@link Mode#SampleTime}) and {@link DecodeScaling} reads the median of the samples, which a burst
 * moves far less.
 *
 * <p>Shape: cpu-batched, core attention, B = 1, Hq = Hkv = 4, D = 64, fp32.
 *
 * <pre>
 * ./build -pl benchmarks -am package -DskipTests
 * flock /tmp/attest-bench.lock java -jar benchmarks/target/benchmarks.jar DecodeBenchmark \
 *     -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc -rf json -rff target/decode.json
 * java -cp benchmarks/target/benchmarks.jar dev.attest.benchmarks.DecodeScaling target/decode.json
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DecodeBenchmark {
    static final int HEADS = 4, DIM = 64;

    @Param({"128", "256", "512", "1024", "2048", "4096"})
    public int cachedLength;

    private final AttentionBackend backend = new CpuBatchedBackend();
    private KvCache cache;
    private Chunk next;
    private Tensor nextOut;
    private int[] rollback;
    private AttentionProblem full;
    private Tensor fullOut;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(cachedLength);
        int total = cachedLength + 1;
        Tensor q = random(random, total), k = random(random, total), v = random(random, total);
        AttentionSpec step = AttentionSpec.builder().heads(HEADS, HEADS).headDim(DIM).causal(Alignment.TOP_LEFT).build();
        cache = backend.openCache(CacheSpec.core(step, total, Eviction.NONE));

        // prefill the L cached tokens in one chunk; the (L+1)-th token is the one each decode step appends
        Tensor prefillOut = Tensor.zeros(1, HEADS, cachedLength, DIM);
        cache.append(Chunk.core(rows(q, 0, cachedLength), rows(k, 0, cachedLength), rows(v, 0, cachedLength)),
                prefillOut);
        next = Chunk.core(rows(q, cachedLength, 1), rows(k, cachedLength, 1), rows(v, cachedLength, 1));
        nextOut = Tensor.zeros(1, HEADS, 1, DIM);
        rollback = new int[]{cachedLength};

        // without a cache: one causal pass over all L+1 tokens
        full = new AttentionProblem(step.toBuilder().lengths(total, total).build(), q, k, v);
        fullOut = full.allocateOutput(dev.attest.reference.Layout.BHSD);
    }

    /** One decode step with the cache: append the next token, then roll back to L for the next invocation. */
    @Benchmark
    public Tensor decode() {
        cache.append(next, nextOut);
        cache.truncate(rollback);
        return nextOut;
    }

    /** The same token's output without a cache: full causal attention over the L+1 tokens. */
    @Benchmark
    public Tensor recompute() {
        backend.attention(full, fullOut);
        return fullOut;
    }

    private static Tensor random(SplittableRandom random, int length) {
        Tensor t = Tensor.zeros(1, HEADS, length, DIM);
        float[] data = t.data();
        for (int i = 0; i < data.length; i++) data[i] = (float) (random.nextDouble() * 2 - 1);
        return t;
    }

    /** Rows [from, from + count) of a (1, H, S, D) tensor, as a dense copy. */
    private static Tensor rows(Tensor t, int from, int count) {
        Tensor out = Tensor.zeros(1, HEADS, count, DIM);
        for (int h = 0; h < HEADS; h++)
            for (int s = 0; s < count; s++)
                System.arraycopy(t.data(), t.index(0, h, from + s, 0), out.data(), out.index(0, h, s, 0), DIM);
        return out;
    }
}
