package dev.attest.backends;

import dev.attest.backends.batched.CpuBatchedBackend;
import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.Chunk;
import dev.attest.reference.cache.Eviction;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Capabilities;
import dev.attest.spi.Feature;
import dev.attest.spi.KvCache;
import dev.attest.spi.UnsupportedFeatureException;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cost side of the KV cache, independent of timing noise: allocation per decode step and refusal. */
class DecodeStepTest {
    private static final int HEADS = 2, DIM = 16;

    /** cpu-batched: a decode step at a long cached length allocates no more than one at a short length. */
    @Test
    void batchedDecodeStepAllocationDoesNotGrowWithTheCachedLength() {
        long shortStep = bytesPerStep(new CpuBatchedBackend(), 64);
        long longStep = bytesPerStep(new CpuBatchedBackend(), 4096);
        System.out.println("cpu-batched decode step allocation: " + shortStep + " B at L=64, " + longStep
                + " B at L=4096");
        assertTrue(longStep <= shortStep + 8, () -> "allocation per step grows with L: " + shortStep + " B at L=64, "
                + longStep + " B at L=4096");
    }

    /** Both backends give bit-identical decode outputs (same sums in the same order). */
    @Test
    void naiveAndBatchedDecodeAgree() {
        Tensor a = decodeOnce(new CpuNaiveBackend(), 100), b = decodeOnce(new CpuBatchedBackend(), 100);
        assertArrayEquals(a.toArray(), b.toArray(), 1e-6f);
        assertArrayEquals(decodeOnce(new CpuBatchedBackend(), 100).toArray(), b.toArray()); // deterministic
    }

    @Test
    void aBackendWithoutKvCacheRefusesToOpenOne() {
        Set<Feature> fewer = EnumSet.allOf(Feature.class);
        fewer.remove(Feature.KV_CACHE);
        AttentionBackend backend = new CpuBatchedBackend(new Capabilities(fewer, Precision.FP32));
        var e = assertThrows(UnsupportedFeatureException.class, () -> backend.openCache(spec(8)));
        assertEquals(Set.of(Feature.KV_CACHE), e.features());
    }

    private static CacheSpec spec(int capacity) {
        return CacheSpec.core(AttentionSpec.builder().heads(HEADS, HEADS).headDim(DIM).causal(Alignment.TOP_LEFT)
                .build(), capacity, Eviction.NONE);
    }

    private static Tensor random(int length, long seed) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        Tensor t = Tensor.zeros(1, HEADS, length, DIM);
        for (int i = 0; i < t.data().length; i++) t.data()[i] = (float) (random.nextDouble() * 2 - 1);
        return t;
    }

    private static Tensor decodeOnce(AttentionBackend backend, int length) {
        KvCache cache = backend.openCache(spec(length + 1));
        cache.append(Chunk.core(random(length, 1), random(length, 2), random(length, 3)),
                Tensor.zeros(1, HEADS, length, DIM));
        Tensor out = Tensor.zeros(1, HEADS, 1, DIM);
        cache.append(Chunk.core(random(1, 4), random(1, 5), random(1, 6)), out);
        return out;
    }

    private static long bytesPerStep(AttentionBackend backend, int length) {
        KvCache cache = backend.openCache(spec(length + 1));
        cache.append(Chunk.core(random(length, 1), random(length, 2), random(length, 3)),
                Tensor.zeros(1, HEADS, length, DIM));
        Chunk next = Chunk.core(random(1, 4), random(1, 5), random(1, 6));
        Tensor out = Tensor.zeros(1, HEADS, 1, DIM);
        int[] back = {length};
        for (int i = 0; i < 2000; i++) {            // warm up: the JIT and the score buffer
            cache.append(next, out);
            cache.truncate(back);
        }
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        int steps = 200;
        long before = threads.getThreadAllocatedBytes(id);
        for (int i = 0; i < steps; i++) {
            cache.append(next, out);
            cache.truncate(back);
        }
        return (threads.getThreadAllocatedBytes(id) - before) / steps;
    }
}
