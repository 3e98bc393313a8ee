package dev.attest.backends.tiled;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

import static dev.attest.backends.tiled.CpuTiledBackend.BC;
import static dev.attest.backends.tiled.CpuTiledBackend.BR;

/**
 * One call's work for {@link CpuTiledBackend} as one parallel loop over items, whatever number of problems the call
 * has (a packed batch's sequences are one problem each). The items are grouped by unit, one batch entry of one
 * problem, heaviest units first; a unit's items are, in order:
 *
 * <pre>
 *   its kv tiles to pack                      PackedTiles.pack / packPaged
 *   its query tiles to pack                   where PackedTiles.stagesRows: heads interleave in Q and out
 *   its (query head, query tile) tasks        head by head, late query tiles first (causal: they see the most keys)
 *   its output tiles to write                 where rows are staged
 * </pre>
 *
 * A task waits (spinning) until its unit's tiles are packed, and an output tile until every head's task of it is
 * done. Items are taken in order by whichever thread is free, so everything an item waits for was taken before it by
 * a running thread that does not wait on it: waits are short and cannot deadlock, and no pause separates problems.
 * Head by head, one head's kv tiles stay in cache from one query tile to the next. The arithmetic of each output row
 * is one task's, whatever the order: the result does not depend on the schedule or the thread count.
 */
final class TileSchedule {
    /** Below this many multiply-adds everything runs on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1L << 15;

    /** Computes query tile qt of (batch b, query head h) of part number {@code part}. */
    interface Task {
        void run(int part, int b, int h, int qt);
    }

    /** One problem of a call: attention into {@code out}, each row's log-sum-exp into {@code lse} (B, Hq, Sq) unless null. */
    record Part(AttentionProblem problem, Tensor out, Tensor lse, PackedTiles.KeySource keys) {
        /** A dense problem, its kv tiles packed from its K and V. */
        static Part of(AttentionProblem problem, Tensor out, Tensor lse) {
            return new Part(problem, out, lse, PackedTiles.keysOf(problem));
        }

        int tilesKv() {
            return CpuTiledBackend.ceilDiv(problem.spec().kvLength(), BC);
        }

        int tilesQ() {
            return CpuTiledBackend.ceilDiv(problem.spec().qLength(), BR);
        }
    }

    /** One batch entry of one part, and where its items start. */
    private record Unit(int part, int b, int start, int kvPacks, int staged, int tasks, int stagedBase) {
        int packs() {
            return kvPacks + staged;
        }
    }

    private final List<Part> parts;
    private final int[] kvOrigin, qOrigin;        // per part; qOrigin -1 where rows are not staged
    private final List<Unit> units = new ArrayList<>();
    private final int[] unitStart;
    private final int items, kvTiles, qTiles, stagedTiles;
    private final long work;

    TileSchedule(List<Part> parts) {
        this.parts = parts;
        kvOrigin = new int[parts.size()];
        qOrigin = new int[parts.size()];
        int kv = 0, q = 0;
        long multiplyAdds = 0;
        List<int[]> entries = new ArrayList<>();                 // {part, b}
        for (int p = 0; p < parts.size(); p++) {
            Part part = parts.get(p);
            AttentionSpec spec = part.problem().spec();
            kvOrigin[p] = kv;
            kv += spec.batch() * spec.kvHeads() * part.tilesKv();
            boolean staged = PackedTiles.stagesRows(part.problem(), part.out());
            qOrigin[p] = staged ? q : -1;
            if (staged) q += spec.batch() * spec.qHeads() * part.tilesQ();
            multiplyAdds += (long) spec.batch() * spec.qHeads() * spec.qLength() * spec.kvLength()
                    * (spec.qkHeadDim() + spec.vHeadDim());
            for (int b = 0; b < spec.batch(); b++) entries.add(new int[]{p, b});
        }
        entries.sort(Comparator.comparingLong((int[] e) -> {
            AttentionSpec spec = parts.get(e[0]).problem().spec();
            return -(long) spec.qLength() * spec.kvLength();
        }));
        unitStart = new int[entries.size() + 1];
        int next = 0, stagedBase = 0;
        for (int u = 0; u < entries.size(); u++) {
            Part part = parts.get(entries.get(u)[0]);
            int staged = qOrigin[entries.get(u)[0]] >= 0 ? part.tilesQ() : 0;
            Unit unit = new Unit(entries.get(u)[0], entries.get(u)[1], next, part.tilesKv(), staged,
                    part.problem().spec().qHeads() * part.tilesQ(), stagedBase);
            units.add(unit);
            unitStart[u] = next;
            next += unit.packs() + unit.tasks() + staged;
            stagedBase += staged;
        }
        unitStart[entries.size()] = next;
        items = next;
        kvTiles = kv;
        qTiles = q;
        stagedTiles = stagedBase;
        work = multiplyAdds;
    }

    int kvTiles() {
        return kvTiles;
    }

    int qTiles() {
        return qTiles;
    }

    int kvOrigin(int part) {
        return kvOrigin[part];
    }

    int qOrigin(int part) {
        return qOrigin[part];
    }

    /** Runs every item, packing into {@code packed} (room for {@link #kvTiles()} and {@link #qTiles()} tiles). */
    void run(PackedTiles packed, Task task) {
        AtomicIntegerArray unpacked = new AtomicIntegerArray(units.size());
        AtomicIntegerArray unfinished = new AtomicIntegerArray(stagedTiles);   // heads left per staged tile
        for (int u = 0; u < units.size(); u++) {
            Unit unit = units.get(u);
            unpacked.set(u, unit.packs());
            int heads = parts.get(unit.part()).problem().spec().qHeads();
            for (int qt = 0; qt < unit.staged(); qt++) unfinished.set(unit.stagedBase() + qt, heads);
        }
        forEach(items, work, i -> {
            int u = Arrays.binarySearch(unitStart, i);
            if (u < 0) u = -u - 2;                                      // the unit whose items hold i
            while (unitStart[u + 1] == i) u++;                          // past units without items
            Unit unit = units.get(u);
            Part part = parts.get(unit.part());
            int p = unit.part(), b = unit.b(), k = i - unit.start(), tilesQ = part.tilesQ();
            if (k < unit.packs()) {
                try {
                    if (k < unit.kvPacks()) {
                        packed.pack(part.keys(), kvOrigin[p], b, k, part.tilesKv(), part.problem().spec().kvHeads());
                    }
                    else packed.packQueries(part.problem(), qOrigin[p], b, k - unit.kvPacks(), tilesQ);
                } finally {
                    unpacked.decrementAndGet(u);                        // a failed pack must not leave a waiter
                }
                return;
            }
            k -= unit.packs();
            if (k < unit.tasks()) {
                while (unpacked.get(u) > 0) Thread.onSpinWait();
                int t = unit.tasks() - 1 - k;                           // late query tiles first
                try {
                    task.run(p, b, t / tilesQ, t % tilesQ);
                } finally {
                    if (unit.staged() > 0) unfinished.decrementAndGet(unit.stagedBase() + t % tilesQ);
                }
                return;
            }
            int qt = k - unit.tasks();                                  // every head's rows of tile qt staged
            while (unfinished.get(unit.stagedBase() + qt) > 0) Thread.onSpinWait();
            packed.unpackOutputs(part.out(), qOrigin[p], b, qt, tilesQ);
        });
    }

    /** Runs {@code body(0 .. n-1)}, in parallel on the current fork/join pool when the work is worth it. */
    private static void forEach(int n, long work, IntConsumer body) {
        int workers = ForkJoinTask.inForkJoinPool() ? ForkJoinTask.getPool().getParallelism()
                : ForkJoinPool.commonPool().getParallelism() + 1;
        if (n <= 1 || workers <= 1 || work < PARALLEL_THRESHOLD) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        IntStream.range(0, Math.min(workers, n)).parallel().forEach(w -> {
            for (int i; (i = next.getAndIncrement()) < n; ) body.accept(i);
        });
    }
}
