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
 * A task waits (spinning) until its unit's tiles are packed, an output tile until every head's task of it is done,
 * and a unit's first packs until the unit that last used its slot of the buffer is done. Everything an item waits for
 * is an earlier item, and items are taken in order by whichever thread is free, so the earliest unfinished item never
 * waits: waits are short and cannot deadlock, and no pause separates problems.
 * Head by head, one head's kv tiles stay in cache from one query tile to the next. The arithmetic of each output row
 * is one task's, whatever the order: the result does not depend on the schedule or the thread count.
 */
final class TileSchedule {
    /** Below this many multiply-adds everything runs on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1L << 15;

    /**
     * Computes query tile qt of (batch b, query head h) of part number {@code part}, the entry's kv tiles in the
     * packed buffer from kvBase, its query tiles from qBase (-1 where its rows are not staged).
     */
    interface Task {
        void run(int part, int b, int h, int qt, int kvBase, int qBase);
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

        int items() {
            return packs() + tasks + staged;
        }
    }

    private final List<Part> parts;
    private final List<Unit> units = new ArrayList<>();
    private final int[] unitStart;
    private final int items, stagedTiles;
    private final long work;
    /**
     * Units share the packed buffer's slots, unit u using slot u mod slots once unit u - slots is done: a call's
     * tiles take a few units' room, not the whole batch's, and a slot is rewritten while it is still in cache (one
     * sequence at a time reuses its tiles the same way).
     */
    private final int slots, slotKv, slotQ;

    TileSchedule(List<Part> parts) {
        this.parts = parts;
        boolean[] staged = new boolean[parts.size()];
        long multiplyAdds = 0;
        List<int[]> entries = new ArrayList<>();                 // {part, b}
        for (int p = 0; p < parts.size(); p++) {
            Part part = parts.get(p);
            AttentionSpec spec = part.problem().spec();
            staged[p] = PackedTiles.stagesRows(part.problem(), part.out());
            multiplyAdds += (long) spec.batch() * spec.qHeads() * spec.qLength() * spec.kvLength()
                    * (spec.qkHeadDim() + spec.vHeadDim());
            for (int b = 0; b < spec.batch(); b++) entries.add(new int[]{p, b});
        }
        entries.sort(Comparator.comparingLong((int[] e) -> {
            AttentionSpec spec = parts.get(e[0]).problem().spec();
            return -(long) spec.qLength() * spec.kvLength();
        }));
        unitStart = new int[entries.size() + 1];
        int next = 0, stagedBase = 0, kvRoom = 0, qRoom = 0;
        for (int u = 0; u < entries.size(); u++) {
            Part part = parts.get(entries.get(u)[0]);
            AttentionSpec spec = part.problem().spec();
            int stagedQ = staged[entries.get(u)[0]] ? part.tilesQ() : 0;
            Unit unit = new Unit(entries.get(u)[0], entries.get(u)[1], next, part.tilesKv(), stagedQ,
                    spec.qHeads() * part.tilesQ(), stagedBase);
            units.add(unit);
            unitStart[u] = next;
            next += unit.items();
            stagedBase += stagedQ;
            kvRoom = Math.max(kvRoom, spec.kvHeads() * part.tilesKv());
            qRoom = Math.max(qRoom, spec.qHeads() * stagedQ);
        }
        unitStart[entries.size()] = next;
        items = next;
        stagedTiles = stagedBase;
        work = multiplyAdds;
        slots = Math.max(1, Math.min(entries.size(), parallel(items, work) ? workers() + 1 : 1));
        slotKv = kvRoom;
        slotQ = qRoom;
    }

    /** Tiles of K/V the packed buffer needs room for. */
    int kvTiles() {
        return slots * slotKv;
    }

    /** Query (and output) tiles the packed buffer needs room for. */
    int qTiles() {
        return slots * slotQ;
    }

    /** Runs every item, packing into {@code packed} (room for {@link #kvTiles()} and {@link #qTiles()} tiles). */
    void run(PackedTiles packed, Task task) {
        AtomicIntegerArray unpacked = new AtomicIntegerArray(units.size());
        AtomicIntegerArray left = new AtomicIntegerArray(units.size());          // items of a unit not done
        AtomicIntegerArray unfinished = new AtomicIntegerArray(stagedTiles);   // heads left per staged tile
        for (int u = 0; u < units.size(); u++) {
            Unit unit = units.get(u);
            unpacked.set(u, unit.packs());
            left.set(u, unit.items());
            int heads = parts.get(unit.part()).problem().spec().qHeads();
            for (int qt = 0; qt < unit.staged(); qt++) unfinished.set(unit.stagedBase() + qt, heads);
        }
        forEach(items, i -> {
            int u = Arrays.binarySearch(unitStart, i);
            if (u < 0) u = -u - 2;                                      // the unit whose items hold i
            while (unitStart[u + 1] == i) u++;                          // past units without items
            try {
                runItem(packed, task, u, i, unpacked, left, unfinished);
            } finally {
                left.decrementAndGet(u);                                // a failed item must not leave a waiter
            }
        });
    }

    private void runItem(PackedTiles packed, Task task, int u, int i, AtomicIntegerArray unpacked,
                         AtomicIntegerArray left, AtomicIntegerArray unfinished) {
        Unit unit = units.get(u);
        Part part = parts.get(unit.part());
        int p = unit.part(), b = unit.b(), k = i - unit.start(), tilesQ = part.tilesQ();
        int slot = u % slots, kvBase = slot * slotKv, qBase = unit.staged() > 0 ? slot * slotQ : -1;
        if (k < unit.packs()) {
            try {
                // the slot's last user, taken earlier by a running thread, is done first
                if (u >= slots) while (left.get(u - slots) > 0) Thread.onSpinWait();
                if (k < unit.kvPacks()) {
                    packed.pack(part.keys(), kvBase, b, k, part.tilesKv(), part.problem().spec().kvHeads());
                }
                else packed.packQueries(part.problem(), qBase, b, k - unit.kvPacks(), tilesQ);
            } finally {
                unpacked.decrementAndGet(u);                            // a failed pack must not leave a waiter
            }
            return;
        }
        k -= unit.packs();
        if (k < unit.tasks()) {
            while (unpacked.get(u) > 0) Thread.onSpinWait();
            int t = unit.tasks() - 1 - k;                               // late query tiles first
            try {
                task.run(p, b, t / tilesQ, t % tilesQ, kvBase, qBase);
            } finally {
                if (unit.staged() > 0) unfinished.decrementAndGet(unit.stagedBase() + t % tilesQ);
            }
            return;
        }
        int qt = k - unit.tasks();                                      // every head's rows of tile qt staged
        while (unfinished.get(unit.stagedBase() + qt) > 0) Thread.onSpinWait();
        packed.unpackOutputs(part.out(), qBase, b, qt, tilesQ);
    }

    private static int workers() {
        return ForkJoinTask.inForkJoinPool() ? ForkJoinTask.getPool().getParallelism()
                : ForkJoinPool.commonPool().getParallelism() + 1;
    }

    private static boolean parallel(int n, long work) {
        return n > 1 && workers() > 1 && work >= PARALLEL_THRESHOLD;
    }

    /** Runs {@code body(0 .. n-1)}, in parallel on the current fork/join pool when the work is worth it. */
    private void forEach(int n, IntConsumer body) {
        if (!parallel(n, work)) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        int workers = workers();
        AtomicInteger next = new AtomicInteger();
        IntStream.range(0, Math.min(workers, n)).parallel().forEach(w -> {
            for (int i; (i = next.getAndIncrement()) < n; ) body.accept(i);
        });
    }
}
