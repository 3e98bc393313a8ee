package dev.attest.backends;

import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.backends.tiled.CpuTiledBackend;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Layout;
import dev.attest.reference.Mask;
import dev.attest.reference.Tensor;
import dev.attest.reference.Window;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;

import static dev.attest.backends.Problems.assertClose;
import static dev.attest.reference.Layout.BHSD;
import static dev.attest.reference.Layout.BSHD;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * cpu-tiled on sizes the property suite's small cases never reach (tiles are 96 queries x 128 keys): several
 * query and key tiles, partial last
 * tiles, tiles skipped by causal and window masks, head dims that are not a multiple of the vector width. It must
 * agree with cpu-naive and give bit-identical results on 1, 2 and 3 threads.
 */
class TiledTest {
    private static final CpuNaiveBackend NAIVE = new CpuNaiveBackend();
    private static final CpuTiledBackend TILED = new CpuTiledBackend();

    private static AttentionSpec.Builder spec(int b, int hq, int hkv, int sq, int skv, int dqk, int dv) {
        return AttentionSpec.builder().batch(b).heads(hq, hkv).lengths(sq, skv).headDims(dqk, dv);
    }

    static List<Arguments> cases() {
        Random rnd = new Random(20261123);
        record C(String name, AttentionProblem p) {
        }
        List<C> list = new ArrayList<>();
        list.add(new C("plain 130x200 D64", Problems.attention(rnd, spec(1, 2, 2, 130, 200, 64, 64).build(), BHSD, BHSD, BHSD, null, null)));
        list.add(new C("one tile exactly 96x128", Problems.attention(rnd, spec(1, 1, 1, 96, 128, 64, 64).build(), BHSD, BHSD, BHSD, null, null)));
        list.add(new C("plain 250x520 D64 (3 x 5 tiles)", Problems.attention(rnd, spec(1, 2, 1, 250, 520, 64, 64).build(), BHSD, BHSD, BHSD, null, null)));
        list.add(new C("causal top-left 400 D64", Problems.attention(rnd, spec(1, 2, 2, 400, 400, 64, 64).causal(Alignment.TOP_LEFT).build(), BHSD, BHSD, BHSD, null, null)));
        list.add(new C("window (150,0) causal 600", Problems.attention(rnd, spec(1, 1, 1, 600, 600, 32, 32).causal(Alignment.TOP_LEFT).window(new Window(150, 0), Alignment.TOP_LEFT).build(), BHSD, BHSD, BHSD, null, null)));
        list.add(new C("boolean mask 300x390 D80", Problems.attention(rnd, spec(1, 1, 1, 300, 390, 80, 80).build(), BHSD, BHSD, BHSD, Problems.randomKeep(rnd, 1, 1, 300, 390), null)));
        list.add(new C("GQA Dqk59 Dv13 bshd", Problems.attention(rnd, spec(2, 4, 2, 65, 129, 59, 13).build(), BSHD, BSHD, BSHD, null, null)));
        list.add(new C("causal top-left 200", Problems.attention(rnd, spec(1, 2, 1, 200, 200, 32, 32).causal(Alignment.TOP_LEFT).build(), BHSD, BHSD, BHSD, null, null)));
        list.add(new C("causal bottom-right 70x300", Problems.attention(rnd, spec(1, 2, 2, 70, 300, 16, 24).causal(Alignment.BOTTOM_RIGHT).build(), BHSD, BHSD, BHSD, null, null)));
        list.add(new C("causal offset -30", Problems.attention(rnd, spec(1, 1, 1, 150, 150, 8, 8).causal(Alignment.offset(-30)).build(), BHSD, BHSD, BHSD, null, null)));
        list.add(new C("window (40,0) causal", Problems.attention(rnd, spec(1, 2, 2, 260, 260, 16, 16).causal(Alignment.TOP_LEFT).window(new Window(40, 0), Alignment.TOP_LEFT).build(), BHSD, BHSD, BHSD, null, null)));
        list.add(new C("window (10,70) no causal", Problems.attention(rnd, spec(1, 1, 1, 190, 210, 16, 16).window(new Window(10, 70), Alignment.BOTTOM_RIGHT).build(), BHSD, BHSD, BHSD, null, null)));
        list.add(new C("softcap scale", Problems.attention(rnd, spec(1, 2, 2, 100, 100, 64, 64).scale(0.9).softcap(2.5).build(), BHSD, BHSD, BHSD, null, null)));
        list.add(new C("boolean mask", Problems.attention(rnd, spec(2, 2, 2, 90, 140, 16, 16).build(), BHSD, BHSD, BHSD, Problems.randomKeep(rnd, 2, 1, 90, 140), null)));
        list.add(new C("bias + key padding + causal", Problems.attention(rnd, spec(2, 2, 1, 100, 170, 16, 16).causal(Alignment.BOTTOM_RIGHT).build(), BHSD, BHSD, BHSD, Problems.randomBias(rnd, 100, 170), new int[]{170, 65})));
        list.add(new C("key padding 0 and 129", Problems.attention(rnd, spec(2, 1, 1, 70, 150, 16, 16).build(), BHSD, BHSD, BHSD, null, new int[]{0, 129})));
        return list.stream().map(c -> Arguments.of(Named.of(c.name(), c.p()))).toList();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void agreesWithNaive(AttentionProblem p) {
        Tensor expected = p.allocateOutput(BHSD);
        NAIVE.attention(p, expected);
        Tensor actual = p.allocateOutput(BSHD).fill(Float.NaN);
        TILED.attention(p, actual);
        assertClose(expected, actual, 1e-4, 1e-5, "cpu-tiled vs cpu-naive");
    }

    @ParameterizedTest
    @MethodSource("cases")
    void bitIdenticalOnOneTwoAndThreeThreads(AttentionProblem p) throws Exception {
        float[] first = null;
        for (int threads = 1; threads <= 3; threads++) {
            try (ForkJoinPool pool = new ForkJoinPool(threads)) {
                Tensor out = p.allocateOutput(BHSD);
                pool.submit(() -> TILED.attention(p, out)).get();
                if (first == null) first = out.toArray();
                else assertArrayEquals(first, out.toArray(), threads + " threads differ from 1 thread");
            }
        }
    }

    /**
     * Q, K, V and the output with the head dimension strided (D-major views, as a transposed tensor is): the packing
     * and store loops' general path, which BHSD and BSHD never reach. Same sums in the same order: the same bits.
     */
    @Test
    void headDimStridedTensorsGiveTheBitsOfContiguousOnes() {
        AttentionSpec s = spec(1, 2, 1, 130, 200, 24, 40).causal(Alignment.BOTTOM_RIGHT).build();
        AttentionProblem contiguous = Problems.attention(new Random(9), s, BHSD, BHSD, BHSD, null, null);
        AttentionProblem strided = new AttentionProblem(s, dimMajor(contiguous.query()), dimMajor(contiguous.key()),
                dimMajor(contiguous.value()), null, null);
        Tensor expected = contiguous.allocateOutput(BHSD);
        TILED.attention(contiguous, expected);
        Tensor actual = dimMajor(expected).fill(Float.NaN);
        assertTrue(actual.stride(3) > 1 && strided.key().stride(3) > 1);
        TILED.attention(strided, actual);
        assertArrayEquals(expected.toArray(), actual.toArray());
    }

    /**
     * Tensors whose heads interleave (BSHD: every head of a token in one run) are packed through the stage and their
     * rows staged for every head at once; BHSD ones head by head. The same values in the same sums: the same bits.
     */
    @Test
    void interleavedHeadsGiveTheBitsOfHeadMajorTensors() {
        AttentionSpec s = spec(2, 4, 2, 230, 300, 24, 40).causal(Alignment.BOTTOM_RIGHT).build();
        AttentionProblem headMajor = Problems.attention(new Random(11), s, BHSD, BHSD, BHSD, null, null);
        AttentionProblem interleaved = new AttentionProblem(s, relaid(headMajor.query()), relaid(headMajor.key()),
                relaid(headMajor.value()), null, null);
        assertTrue(interleaved.key().stride(1) == 24 && headMajor.key().stride(1) > 24);
        Tensor expected = headMajor.allocateOutput(BHSD);
        TILED.attention(headMajor, expected);
        Tensor actual = interleaved.allocateOutput(BSHD).fill(Float.NaN);
        TILED.attention(interleaved, actual);
        assertArrayEquals(expected.toArray(), actual.toArray());
    }

    /**
     * A packed batch ((total, H, D) rows, sequences of several tiles, one without keys, GQA) runs every sequence in
     * one schedule, reading heads in memory order; each sequence's rows are the bits of that sequence run alone from
     * dense copies, and a sequence without keys is zeros.
     */
    @Test
    void aPackedBatchGivesTheBitsOfItsSequencesRunAlone() throws Exception {
        // more sequences than the schedule's buffer slots (workers + 1): later sequences reuse earlier ones' tiles
        int[] queries = {300, 20, 7, 140, 96, 1, 200, 33, 64}, keys = {330, 20, 0, 260, 96, 150, 1, 40, 64};
        int hq = 4, hkv = 2, dqk = 24, dv = 40;
        int[] cuQ = new int[queries.length + 1], cuK = new int[keys.length + 1];
        for (int b = 0; b < queries.length; b++) {
            cuQ[b + 1] = cuQ[b] + queries[b];
            cuK[b + 1] = cuK[b] + keys[b];
        }
        Random rnd = new Random(12);
        AttentionSpec s = spec(queries.length, hq, hkv, 300, 330, dqk, dv).causal(Alignment.BOTTOM_RIGHT).build();
        int n = queries.length;
        var packed = new dev.attest.reference.packed.PackedProblem(s, random(rnd, cuQ[n], hq, dqk),
                random(rnd, cuK[n], hkv, dqk), random(rnd, cuK[n], hkv, dv), cuQ, cuK);
        for (int threads = 1; threads <= 3; threads++) {
            Tensor out = packed.allocateOutput().fill(Float.NaN);
            try (ForkJoinPool pool = new ForkJoinPool(threads)) {
                pool.submit(() -> TILED.packedAttention(packed, out)).get();
            }
            assertEachSequenceAlone(packed, out, queries, cuQ, hq, dv, threads + " threads: ");
        }
    }

    private static void assertEachSequenceAlone(dev.attest.reference.packed.PackedProblem packed, Tensor out,
                                                int[] queries, int[] cuQ, int hq, int dv, String where) {
        for (int b = 0; b < queries.length; b++) {
            AttentionProblem alone = packed.sequence(b);                 // dense (1, H, S, D) copies
            Tensor own = alone == null ? null : alone.allocateOutput(BHSD);
            if (alone != null) TILED.attention(alone, own);
            for (int h = 0; h < hq; h++) {
                for (int i = 0; i < queries[b]; i++) {
                    float[] row = new float[dv], expected = new float[dv];
                    for (int d = 0; d < dv; d++) {
                        row[d] = out.get(cuQ[b] + i, h, d);
                        if (own != null) expected[d] = own.get(0, h, i, d);
                    }
                    assertArrayEquals(expected, row, where + "sequence " + b + ", head " + h + ", row " + i);
                }
            }
        }
    }

    private static Tensor random(Random rnd, int rows, int heads, int dim) {
        Tensor t = Tensor.zeros(rows, heads, dim);
        float[] data = t.data();
        for (int i = 0; i < data.length; i++) data[i] = (float) (rnd.nextDouble() * 2 - 1);
        return t;
    }

    /** The same values laid out (B, S, H, D), viewed as (B, H, S, D): every head of a token in one run. */
    private static Tensor relaid(Tensor t) {
        Tensor view = Tensor.zeros(t.dim(0), t.dim(2), t.dim(1), t.dim(3)).permute(0, 2, 1, 3);
        view.copyFrom(t);
        return view;
    }

    /** The same values in a (B, H, D, S) array, viewed as (B, H, S, D): stride 1 along S, not D. */
    private static Tensor dimMajor(Tensor t) {
        Tensor view = Tensor.zeros(t.dim(0), t.dim(1), t.dim(3), t.dim(2)).permute(0, 1, 3, 2);
        view.copyFrom(t);
        return view;
    }

    /**
     * The allocation target, checked without timing noise: in steady state a call allocates the same few
     * objects at n = 1024 as at n = 128 (tiles and packed K/V are reused), on one thread and on two. Counted over
     * all threads, since the pool's workers do the work.
     */
    @Test
    void steadyStateAllocationPerCallDoesNotGrowWithN() {
        for (int threads = 1; threads <= 2; threads++) {
            long large = bytesPerCall(1024, threads), small = bytesPerCall(128, threads);  // large first: JIT warm
            System.out.println("cpu-tiled allocation per call, " + threads + " thread(s): " + small + " B at n=128, "
                    + large + " B at n=1024");
            long slack = 64L * threads;
            int t = threads;
            assertTrue(large <= small + slack, () -> "allocation per call grows with n on " + t + " thread(s): "
                    + small + " B at n=128, " + large + " B at n=1024");
        }
    }

    private static long bytesPerCall(int n, int threads) {
        var memory = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        AttentionProblem p = Problems.attention(new Random(n), spec(1, 1, 1, n, n, 64, 64).build(), BHSD, BHSD,
                BHSD, null, null);
        Tensor out = p.allocateOutput(BHSD);
        CpuTiledBackend tiled = new CpuTiledBackend();
        var call = java.util.concurrent.ForkJoinTask.adapt(() -> tiled.attention(p, out));
        try (ForkJoinPool pool = new ForkJoinPool(threads)) {
            // the least over rounds: until C2 compiles them, the Vector API kernels box every vector they touch, and
            // on a busy machine the compile queue can take a second or more (60 rounds: about a second at n = 1024)
            long least = Long.MAX_VALUE;
            for (int round = 0; round < 60; round++) {
                long before = memory.getTotalThreadAllocatedBytes();
                for (int i = 0; i < 4; i++) {
                    call.reinitialize();
                    pool.invoke(call);
                }
                least = Math.min(least, (memory.getTotalThreadAllocatedBytes() - before) / 4);
            }
            return least;
        }
    }

    @Test
    void nanInAHiddenValueOfAPartlyVisibleTileDoesNotLeak() {
        Random rnd = new Random(7);
        AttentionSpec s = spec(1, 1, 1, 100, 100, 16, 16).causal(Alignment.TOP_LEFT).build();
        AttentionProblem p = Problems.attention(rnd, s, BHSD, BHSD, BHSD, null, null);
        p.value().set(Float.NaN, 0, 0, 80, 3);             // key 80: hidden from rows < 80, in a diagonal tile
        p.key().set(Float.NaN, 0, 0, 90, 0);
        Tensor out = p.allocateOutput(Layout.BHSD);
        TILED.attention(p, out);
        for (int i = 0; i < 100; i++) {
            boolean nan = Float.isNaN(out.get(0, 0, i, 3));
            if (i < 80) assertFalse(nan, "row " + i + " sees no NaN key/value but is NaN");
            else assertTrue(nan, "row " + i + " attends the NaN value but is not NaN");
        }
    }

    @Test
    void fullyMaskedRowsAreZero() {
        Random rnd = new Random(8);
        boolean[] keep = new boolean[80 * 100];
        for (int i = 0; i < 80; i++) for (int j = 0; j < 100; j++) keep[i * 100 + j] = i % 3 != 0 && rnd.nextBoolean();
        AttentionProblem p = Problems.attention(rnd, spec(1, 1, 1, 80, 100, 8, 8).build(), BHSD, BHSD, BHSD,
                new Mask.Keep(keep, new int[]{80, 100}), null);
        Tensor out = p.allocateOutput(BHSD).fill(Float.NaN);
        TILED.attention(p, out);
        for (int i = 0; i < 80; i += 3) for (int d = 0; d < 8; d++) assertTrue(out.get(0, 0, i, d) == 0f);
    }
}
