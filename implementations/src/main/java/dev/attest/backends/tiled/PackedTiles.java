package dev.attest.backends.tiled;

import dev.attest.backends.kernels.TileKernels;
import dev.attest.backends.kernels.TypedRows;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Tensor;
import dev.attest.reference.paged.PagedKv;

import java.util.Arrays;

import static dev.attest.backends.tiled.CpuTiledBackend.BC;
import static dev.attest.backends.tiled.CpuTiledBackend.BR;

/**
 * The tiles {@link CpuTiledBackend}'s kernels read, widened to fp32: K and V of every (batch, kv head) tile by tile,
 * Kt[d][c] (transposed, BC columns) and V[c][d], zero past the keys, each V tile's finiteness noted; and, where a
 * query's heads sit in one run, Q of every (batch, query head) tile by tile, row-major (ROWS x Dqk), zero past the
 * queries. A (batch entry, problem)'s tiles are numbered from a base {@link TileSchedule} gives it, tile t of head h
 * at {@code base + h·tiles + t}: one buffer serves every problem of a call, a few entries at a time.
 *
 * <p>Rows are read in memory order. Where every head of a key sits in one run (a packed batch's (total, H, D), a paged
 * block's (slot, H, D)), a few keys' runs are widened into an L1-sized stage and transposed from there head by head;
 * a query tile's rows are taken for every head at once. Taking one head's rows H·D floats apart instead leaves the
 * hardware prefetcher behind, and writing every head's Kt tile key by key spreads the writes over Hkv tiles at once:
 * a packed batch's sequences read in place took 1.07 times their dense copies that way (ServingPairs, AVX2).
 * Elsewhere ((B, H, S, D)) each head is its own run: keys are packed head by head, and each task loads its own Q tile.
 */
final class PackedTiles {
    /** Floats of keys widened per stage: 16 KB, in L1 with the Kt lines the scatter writes. */
    private static final int STAGE_FLOATS = 4096;
    private static final ThreadLocal<float[]> STAGE = ThreadLocal.withInitial(() -> new float[0]);
    /** Rows of a Q tile: BR rounded up to the kernels' row block, the rows past BR zero. */
    static final int ROWS = (BR + TileKernels.ROW_BLOCK - 1) / TileKernels.ROW_BLOCK * TileKernels.ROW_BLOCK;

    final float[] kt;
    final float[] v;
    final boolean[] vFinite;
    final float[] q;
    /** Outputs of the query tiles, O / l in fp32 (ROWS x Dv each), numbered as {@link #q}'s tiles. */
    final float[] o;
    final int dqk, dv;

    private PackedTiles(int kvTiles, int qTiles, int dqk, int dv) {
        this.kt = new float[kvTiles * BC * dqk];
        this.v = new float[kvTiles * BC * dv];
        this.vFinite = new boolean[kvTiles];
        this.q = new float[qTiles * ROWS * dqk];
        this.o = new float[qTiles * ROWS * dv];
        this.dqk = dqk;
        this.dv = dv;
    }

    /** Room for {@code kvTiles} and {@code qTiles} tiles: {@code p} itself when it has it, else a larger buffer. */
    static PackedTiles atLeast(PackedTiles p, int kvTiles, int qTiles, int dqk, int dv) {
        if (p == null || p.dqk != dqk || p.dv != dv) return new PackedTiles(kvTiles, qTiles, dqk, dv);
        int haveKv = p.vFinite.length, haveQ = p.q.length / Math.max(1, ROWS * dqk);
        if (haveKv >= kvTiles && haveQ >= qTiles) return p;
        // grown geometrically: calls on slowly growing problems reallocate O(log n) times
        return new PackedTiles(grown(haveKv, kvTiles), grown(haveQ, qTiles), dqk, dv);
    }

    private static int grown(int have, int need) {
        return have >= need ? have : Math.max(need, 2 * have);
    }

    int qOffset(int tile) {
        return tile * ROWS * dqk;
    }

    int oOffset(int tile) {
        return tile * ROWS * dv;
    }

    /**
     * Whether the query tiles of {@code problem} are packed here and its output tiles staged here (else each task
     * loads its own Q tile and writes its own rows): where a query's heads, and an output row's, sit in one run.
     */
    static boolean stagesRows(AttentionProblem problem, Tensor out) {
        return problem.spec().qHeads() > 1 && headsInOneRun(problem.query(), problem.spec().qkHeadDim())
                && headsInOneRun(out, problem.spec().vHeadDim());
    }

    /**
     * Packs query tile qt of batch b for every query head h, to tile {@code base + h·tilesQ + qt}, widening as
     * {@link #pack} does, rows past Sq zero.
     */
    void packQueries(AttentionProblem problem, int base, int b, int qt, int tilesQ) {
        Tensor query = problem.query();
        int hq = problem.spec().qHeads(), sq = problem.spec().qLength();
        for (int r = 0; r < ROWS; r++) {
            int i = qt * BR + r;
            for (int h = 0; h < hq; h++) {
                int at = qOffset(base + h * tilesQ + qt) + r * dqk;
                if (r < BR && i < sq) {
                    TypedRows.load(query, query.index(b, h, i, 0), 1, dqk, TypedRows.factor(query, b, h), q, at, 1);
                } else {
                    Arrays.fill(q, at, at + dqk, 0f);
                }
            }
        }
    }

    int ktOffset(int tile) {
        return tile * BC * dqk;
    }

    int vOffset(int tile) {
        return tile * BC * dv;
    }

    /** Writes query tile qt of batch b's staged outputs to {@code out}, every head of a row before the next row. */
    void unpackOutputs(Tensor out, int base, int b, int qt, int tilesQ) {
        int hq = out.dim(1), sq = out.dim(2);
        for (int r = 0; r < BR && qt * BR + r < sq; r++) {
            for (int h = 0; h < hq; h++) {
                int at = oOffset(base + h * tilesQ + qt) + r * dv;
                TypedRows.store(o, at, dv, out, out.index(b, h, qt * BR + r, 0), 1);   // rounded once to out's type
            }
        }
    }

    /**
     * Where a problem's keys and values come from. Made once per problem and call, so that packing a tile allocates
     * nothing (a call's allocation does not grow with its length).
     */
    interface KeySource {
        /** Keys of batch b that exist: the rest of its last tile is zero. */
        int length(int b);

        /** Whether every head of a key sits in one run, packed through the stage (else head by head). */
        boolean runs();

        /** Every kv head of key j of batch b, widened, unscaled: Hkv·Dqk floats to ks[kOff..]. */
        void loadKeyRun(int b, int j, float[] ks, int kOff);

        /** Key j of (b, g) into Kt at column offset ktAt (stride BC), scaled. */
        void loadKey(int b, int g, int j, float[] kt, int ktAt);

        /** Value j of (b, g), widened and scaled, to the Dv floats at v[vAt..]. */
        void loadValue(int b, int g, int j, float[] v, int vAt);

        /** Value j of batch b for every kv head g, as {@link #loadValue}, to v[vAt + g·headStride..]. */
        default void loadValues(int b, int j, int hkv, float[] v, int vAt, int headStride) {
            for (int g = 0; g < hkv; g++) loadValue(b, g, j, v, vAt + g * headStride);
        }

        /** fp8's descale of (b, g)'s keys; 1 for every other type. */
        float keyScale(int b, int g);
    }

    /** The keys and values of a dense problem, widening fp16, bf16 and fp8 (times its descale) to fp32. */
    static KeySource keysOf(AttentionProblem problem) {
        Tensor k = problem.key(), val = problem.value();
        int hkv = problem.spec().kvHeads(), dqk = problem.spec().qkHeadDim(), dv = problem.spec().vHeadDim();
        int kvLength = problem.spec().kvLength();
        boolean runs = headsInOneRun(k, dqk) && headsInOneRun(val, dv);
        return new KeySource() {
            public int length(int b) {
                return kvLength;
            }

            public boolean runs() {
                return runs;
            }

            public void loadKeyRun(int b, int j, float[] ks, int kOff) {
                TypedRows.load(k, k.index(b, 0, j, 0), 1, hkv * dqk, 1f, ks, kOff, 1);
            }

            public void loadKey(int b, int g, int j, float[] kt, int ktAt) {
                TypedRows.load(k, k.index(b, g, j, 0), k.stride(3), dqk, keyScale(b, g), kt, ktAt, BC);
            }

            public void loadValue(int b, int g, int j, float[] v, int vAt) {
                TypedRows.load(val, val.index(b, g, j, 0), val.stride(3), dv, TypedRows.factor(val, b, g), v, vAt, 1);
            }

            public float keyScale(int b, int g) {
                return TypedRows.factor(k, b, g);
            }
        };
    }

    /**
     * The keys and values of a paged KV, each key's row read from its (slot, H, D) block; rows past a sequence's
     * length are zero, never read: whatever its unowned slots hold cannot reach the output.
     */
    static KeySource keysOf(PagedKv kv, int hkv, int dqk, int dv) {
        return new KeySource() {
            public int length(int b) {
                return kv.length(b);
            }

            public boolean runs() {
                return true;                                   // a block's heads are its key's neighbours
            }

            public void loadKeyRun(int b, int j, float[] ks, int kOff) {
                loadSlot(kv.keys().block(kv.blockOf(b, j)), j % kv.blockSize(), hkv, dqk, ks, kOff);
            }

            public void loadKey(int b, int g, int j, float[] kt, int ktAt) {
                throw new UnsupportedOperationException("a paged KV's keys are packed through the stage");
            }

            public void loadValue(int b, int g, int j, float[] v, int vAt) {
                Tensor block = kv.values().block(kv.blockOf(b, j));
                TypedRows.load(block, block.index(j % kv.blockSize(), g, 0), block.stride(2), dv, 1f, v, vAt, 1);
            }

            @Override
            public void loadValues(int b, int j, int heads, float[] v, int vAt, int headStride) {
                Tensor block = kv.values().block(kv.blockOf(b, j));     // looked up once for every head
                for (int g = 0; g < heads; g++) {
                    TypedRows.load(block, block.index(j % kv.blockSize(), g, 0), block.stride(2), dv, 1f, v,
                            vAt + g * headStride, 1);
                }
            }

            public float keyScale(int b, int g) {
                return 1f;                                     // a pool is fp32, fp16 or bf16
            }
        };
    }

    /** Every head of row {@code slot} of a (slot, H, D) block, widened: one run where the block is dense. */
    private static void loadSlot(Tensor block, int slot, int hkv, int dim, float[] dst, int at) {
        if (block.stride(2) == 1 && block.stride(1) == dim) {
            TypedRows.load(block, block.index(slot, 0, 0), 1, hkv * dim, 1f, dst, at, 1);
            return;
        }
        for (int g = 0; g < hkv; g++) {
            TypedRows.load(block, block.index(slot, g, 0), block.stride(2), dim, 1f, dst, at + g * dim, 1);
        }
    }

    /** Whether every head of one key (H·D elements) lies in one run of storage, head after head. */
    private static boolean headsInOneRun(Tensor t, int dim) {
        return t.stride(3) == 1 && t.stride(1) == dim;
    }

    /** Packs kv tile t of batch b for every kv head g from {@code keys}, to tile {@code base + g·tilesKv + t}. */
    void pack(KeySource keys, int base, int b, int t, int tilesKv, int hkv) {
        int rows = keys.length(b);
        if (keys.runs()) {
            packStaged(keys, base, b, t, tilesKv, hkv, rows);
        } else {
            for (int g = 0; g < hkv; g++) {
                int tile = base + g * tilesKv + t;
                for (int c = 0; c < BC; c++) {
                    int j = t * BC + c;
                    if (j < rows) {
                        keys.loadKey(b, g, j, kt, ktOffset(tile) + c);
                        keys.loadValue(b, g, j, v, vOffset(tile) + c * dv);
                    } else {
                        zeroColumn(tile, c);
                    }
                }
            }
        }
        for (int g = 0; g < hkv; g++) {
            int tile = base + g * tilesKv + t;
            vFinite[tile] = TileKernels.allFinite(v, vOffset(tile), BC * dv);
        }
    }

    /**
     * Tile t in memory order. Values go straight to their tiles key by key, every head of a key before the next key
     * (a V tile is row-major, so each head's tile is written in order). Keys are transposed, which written key by key
     * would touch Dqk lines of every head's tile at once: a few keys' runs are widened into the stage, then scattered
     * head by head.
     */
    private void packStaged(KeySource keys, int base, int b, int t, int tilesKv, int hkv, int rows) {
        int kRun = hkv * dqk, step = Math.max(1, STAGE_FLOATS / kRun);
        float[] ks = STAGE.get();
        if (ks.length < step * kRun) STAGE.set(ks = new float[step * kRun]);
        for (int c0 = 0; c0 < BC; c0 += step) {
            int n = Math.min(step, BC - c0), present = Math.max(0, Math.min(n, rows - (t * BC + c0)));
            for (int c = 0; c < present; c++) {
                int j = t * BC + c0 + c;
                keys.loadKeyRun(b, j, ks, c * kRun);
                keys.loadValues(b, j, hkv, v, vOffset(base + t) + (c0 + c) * dv, tilesKv * BC * dv);
            }
            for (int g = 0; g < hkv; g++) {
                int tile = base + g * tilesKv + t, kt0 = ktOffset(tile);
                // 1 but for fp8, whose stage holds x·1 = x: one rounding, as packed head by head
                float kf = keys.keyScale(b, g);
                for (int c = 0; c < n; c++) {
                    int col = c0 + c;
                    if (c >= present) {
                        zeroColumn(tile, col);
                        continue;
                    }
                    for (int d = 0, at = c * kRun + g * dqk; d < dqk; d++) kt[kt0 + d * BC + col] = ks[at + d] * kf;
                }
            }
        }
    }

    private void zeroColumn(int tile, int c) {
        int kt0 = ktOffset(tile), v0 = vOffset(tile);
        for (int d = 0; d < dqk; d++) kt[kt0 + d * BC + c] = 0f;
        Arrays.fill(v, v0 + c * dv, v0 + (c + 1) * dv, 0f);
    }
}
