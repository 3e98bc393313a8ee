package dev.attest.backends.tiled;

import dev.attest.backends.batched.CpuBatchedBackend;
import dev.attest.backends.kernels.TileKernels;
import dev.attest.backends.kernels.TypedRows;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.ElementType;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.MaskView;
import dev.attest.reference.paged.PagedKv;
import dev.attest.reference.paged.PagedProblem;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.reference.Window;
import dev.attest.spi.Capabilities;
import dev.attest.spi.CheckedBackend;
import dev.attest.spi.KvCache;
import dev.attest.spi.TensorTypes;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Flash-style tiled CPU attention: no Sq x Skv score matrix. Per (batch, query head, query tile) one task walks the
 * key/value tiles with an online softmax (running max m and running sum l per row), so memory is O(tile) per task.
 *
 * <pre>
 *   pack    K -> Kt tiles (Dqk x BC, transposed), V -> V tiles (BC x Dv), once per kv head, in parallel
 *   for each query tile (BR rows) of each (b, h), in parallel:
 *     pack Q tile (BR x Dqk)
 *     for each kv tile that is not fully masked:
 *       S = Q Kt                               register-blocked 6 rows x 4 vectors, 6 x 2 on AVX2 (TileKernels.scores)
 *       s = softcap(S * scale) + bias; hidden -> -inf   (only with softcap, a bias, or on partially masked tiles)
 *       m' = max(m, rowmax s); p = exp(s - m'); l = l e^(m - m') + sum p     (TileKernels.onlineSoftmax)
 *       O = O e^(m - m') + P V                  register-blocked as S (TileKernels.accumulate)
 *     out = O / l  (l = 0: a fully masked row, written as zeros)
 * </pre>
 *
 * <p>Causal masks, sliding windows and key padding are structural: tiles entirely outside a row band are skipped, and
 * tiles entirely inside it need no per-element test. Deterministic regardless of thread count: each output row is
 * computed by exactly one task in a fixed order. The layer reuses cpu-batched's projections around this core.
 */
public final class CpuTiledBackend extends CheckedBackend {
    /**
     * Query rows per tile, a multiple of the kernels' 6-row register block. At D = 64, Q and O (24 KB each), S
     * (48 KB) and the Kt and V tiles (32 KB each) stay in L2; the kernels' 6-row blocks work on L1-sized slices.
     * Chosen by measurement on one Zen 4 core, n = 2048, D = 64 (ms per call, non-causal / causal): BR x BC =
     * 48 x 64: 102 / 62; 48 x 128: 97 / 59; 72 x 128: 98 / 59; 96 x 128: 97 / 54; 120 x 128: 99 / 60;
     * 48 x 256: 98 / 58. Fewer, longer key tiles halve the per-row work of the online softmax (a horizontal max
     * and a rescale per row and tile); 96 query rows halve how often each key tile is streamed back from L2.
     */
    static final int BR = 96;
    /** Keys per tile: a Kt tile (Dqk x BC) and a V tile (BC x Dv). */
    static final int BC = 128;
    /** Below this many multiply-adds everything runs on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1L << 15;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    /** Packed K/V buffers, reused across calls (grown when too small): steady-state allocation is independent of n. */
    private final AtomicReference<Packed> cache = new AtomicReference<>();

    /** Every feature, in every common combination of element types (TensorTypes.COMMON), accumulating in fp32. */
    private static final Capabilities CAPABILITIES = Capabilities.everything(Precision.FP32)
            .withTypes(new java.util.LinkedHashSet<>(TensorTypes.COMMON));

    public CpuTiledBackend() {
        this(CAPABILITIES);
    }

    /** The same backend declaring only {@code capabilities}. */
    public CpuTiledBackend(Capabilities capabilities) {
        super("cpu-tiled", "flash-style tiles " + BR + "x" + BC + ", online softmax, "
                + (TileKernels.VECTOR ? "Vector API" : "scalar") + " register-blocked kernels, fp32 accumulation (fp16, bf16 and fp8"
                + " inputs widened while packing tiles)", capabilities);
    }

    @Override
    protected void computeAttention(AttentionProblem problem, Tensor out) {
        attend(problem, out);
    }

    /**
     * The log-sum-exp comes out of the tiles' online softmax ({@code m + ln l} of each row, the running max and sum
     * the output is divided by); the scores, a full Sq x Skv matrix the tiles never hold, from a plain pass.
     */
    @Override
    protected void computeAttention(AttentionProblem problem, Tensor out, dev.attest.reference.AuxiliaryOutputs aux) {
        int tilesKv = ceilDiv(problem.spec().kvLength(), BC);
        attend(problem, out, (pk, b, g) -> pk.pack(problem, b, g, tilesKv), aux.logSumExp());
        if (aux.scores() != null) dev.attest.backends.kernels.AuxiliaryRows.write(problem, aux, false, true);
    }

    /**
     * A decode step is a single query row, where tiling buys nothing: {@link TiledDecodeCache} streams the cache
     * once in its own element type, widening L1-sized blocks (prefill chunks are what the tiled kernel is for).
     */
    @Override
    protected KvCache createCache(CacheSpec spec, LayerWeights weights) {
        return new TiledDecodeCache(spec, weights);
    }

    @Override
    protected void computeLayer(LayerProblem problem, Tensor out) {
        // a bf16 or fp16 layer widened to fp32 once; its core then runs the fp32 tiles
        dev.attest.backends.kernels.WidenedLayer.run(problem, out, (p, o) -> CpuBatchedBackend.layer(p, o, this::attend));
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * Paged KV read in place: packing a kv tile reads each key's row from its block (the block table's entry for the
     * tile's rows), so no contiguous copy of the cache is made; the tiles, and so the arithmetic, are those of the
     * contiguous problem, which makes the output bit-identical to it whatever the page size or block order.
     */
    @Override
    protected void computePagedAttention(PagedProblem problem, Tensor out) {
        AttentionSpec spec = problem.spec();
        // K and V of the shell are one zero broadcast over (B, Hkv, Skv, D): the rows come from the blocks
        Tensor noKeys = Tensor.view(new float[1], 0, new int[]{spec.batch(), spec.kvHeads(), spec.kvLength(),
                spec.qkHeadDim()}, new int[4]);
        Tensor noValues = Tensor.view(new float[1], 0, new int[]{spec.batch(), spec.kvHeads(), spec.kvLength(),
                spec.vHeadDim()}, new int[4]);
        AttentionProblem shell = new AttentionProblem(spec, problem.query(), noKeys, noValues, problem.mask(),
                problem.kv().lengths());
        int tilesKv = ceilDiv(spec.kvLength(), BC);
        attend(shell, out, (pk, b, g) -> pk.packPaged(problem.kv(), b, g, tilesKv, spec.kvHeads()), null);
    }

    /** Each sequence of a packed batch in place: its tiles are packed from strided views, its rows written directly. */
    @Override
    protected void computePackedAttention(dev.attest.reference.packed.PackedProblem problem, Tensor out) {
        problem.runEachInPlace((b, alone, rows) -> attend(alone, rows), out);
    }

    private void attend(AttentionProblem problem, Tensor out) {
        int tilesKv = ceilDiv(problem.spec().kvLength(), BC);
        attend(problem, out, (pk, b, g) -> pk.pack(problem, b, g, tilesKv), null);
    }

    /** Fills the packed tiles of (batch b, kv head g). */
    private interface Packer {
        void pack(Packed packed, int b, int g);
    }

    /** Attention into {@code out}, and each row's log-sum-exp into {@code lse} (B, Hq, Sq) unless it is null. */
    private void attend(AttentionProblem problem, Tensor out, Packer packer, Tensor lse) {
        AttentionSpec spec = problem.spec();
        int batch = spec.batch(), hq = spec.qHeads(), hkv = spec.kvHeads();
        int tilesQ = ceilDiv(spec.qLength(), BR), tilesKv = ceilDiv(spec.kvLength(), BC);
        long work = (long) batch * hq * spec.qLength() * spec.kvLength() * (spec.qkHeadDim() + spec.vHeadDim());

        Packed packed = cache.getAndSet(null);
        packed = Packed.atLeast(packed, batch * hkv * tilesKv, spec.qkHeadDim(), spec.vHeadDim());
        try {
            Packed pk = packed;
            forEach(batch * hkv, work, bg -> packer.pack(pk, bg / hkv, bg % hkv));
            Rows rows = new Rows(problem, out, lse, pk, tilesKv);
            int tasks = batch * hq * tilesQ;
            // heaviest first under causal masks: late query tiles see the most keys
            forEach(tasks, work, t -> {
                int task = tasks - 1 - t;
                rows.run(task / (hq * tilesQ), task / tilesQ % hq, task % tilesQ);
            });
        } finally {
            cache.set(packed);
        }
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

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }

    /** K and V of every (batch, kv head) packed tile by tile: Kt[d][c] and V[c][d], zero past Skv. */
    private static final class Packed {
        final float[] kt;
        final float[] v;
        final boolean[] vFinite;
        final int dqk, dv;

        private Packed(int tiles, int dqk, int dv) {
            this.kt = new float[tiles * BC * dqk];
            this.v = new float[tiles * BC * dv];
            this.vFinite = new boolean[tiles];
            this.dqk = dqk;
            this.dv = dv;
        }

        static Packed atLeast(Packed p, int tiles, int dqk, int dv) {
            if (p != null && p.dqk == dqk && p.dv == dv && p.vFinite.length >= tiles) return p;
            int grown = p != null && p.dqk == dqk && p.dv == dv ? Math.max(tiles, p.vFinite.length * 2) : tiles;
            return new Packed(grown, dqk, dv);
        }

        int ktOffset(int tile) {
            return tile * BC * dqk;
        }

        int vOffset(int tile) {
            return tile * BC * dv;
        }

        /** Packs (batch b, kv head g), widening fp16, bf16 and fp8 (times its descale) to fp32 on the way. */
        void pack(AttentionProblem problem, int b, int g, int tilesKv) {
            Tensor k = problem.key(), val = problem.value();
            int kBase = k.index(b, g, 0, 0), kRow = k.stride(2), kCol = k.stride(3);      // &K[b][g][j][d]
            int vBase = val.index(b, g, 0, 0), vRow = val.stride(2), vCol = val.stride(3); // &V[b][g][j][d]
            float kScale = TypedRows.factor(k, b, g), vScale = TypedRows.factor(val, b, g);
            packRows(b, g, tilesKv, problem.spec().kvHeads(), problem.spec().kvLength(), (j, ktAt, vAt) -> {
                TypedRows.load(k, kBase + j * kRow, kCol, dqk, kScale, kt, ktAt, BC);
                TypedRows.load(val, vBase + j * vRow, vCol, dv, vScale, v, vAt, 1);
            });
        }

        /**
         * Packs (batch b, kv head g) of a paged KV, each key's row read from its block (rows past the sequence's
         * length are zero, never read: whatever its unowned slots hold cannot reach the output).
         */
        void packPaged(PagedKv kv, int b, int g, int tilesKv, int hkv) {
            int p = kv.blockSize();
            int[] held = {-1};                        // the block last looked up: a block serves p rows in a row
            Tensor[] blocks = new Tensor[2];
            packRows(b, g, tilesKv, hkv, kv.length(b), (j, ktAt, vAt) -> {
                int id = kv.blockOf(b, j), slot = j % p;
                if (id != held[0]) {
                    held[0] = id;
                    blocks[0] = kv.keys().block(id);
                    blocks[1] = kv.values().block(id);
                }
                Tensor kb = blocks[0], vb = blocks[1];
                TypedRows.load(kb, kb.index(slot, g, 0), kb.stride(2), dqk, 1f, kt, ktAt, BC);
                TypedRows.load(vb, vb.index(slot, g, 0), vb.stride(2), dv, 1f, v, vAt, 1);
            });
        }

        /** Loads key row j into Kt at column offset {@code ktAt} (stride BC) and value row j into V at {@code vAt}. */
        private interface RowLoader {
            void load(int j, int ktAt, int vAt);
        }

        /** The tiles of (b, g): rows below {@code rows} loaded, the rest of each tile zero; V's finiteness noted. */
        private void packRows(int b, int g, int tilesKv, int hkv, int rows, RowLoader loader) {
            for (int t = 0; t < tilesKv; t++) {
                int tile = (b * hkv + g) * tilesKv + t;
                int kt0 = ktOffset(tile), v0 = vOffset(tile);
                for (int c = 0; c < BC; c++) {
                    int j = t * BC + c;
                    if (j < rows) {
                        loader.load(j, kt0 + c, v0 + c * dv);
                    } else {
                        for (int d = 0; d < dqk; d++) kt[kt0 + d * BC + c] = 0f;
                        Arrays.fill(v, v0 + c * dv, v0 + (c + 1) * dv, 0f);
                    }
                }
                vFinite[tile] = TileKernels.allFinite(v, v0, BC * dv);
            }
        }
    }

    /** Per-worker tiles: Q (BR x Dqk), S/P (BR x BC), O (BR x Dv), m and alpha (BR), l (BR x SUM_LANES). */
    private static final class Scratch {
        static final int ROWS = roundUp(BR, TileKernels.ROW_BLOCK);
        float[] q = new float[0], s = new float[ROWS * BC], o = new float[0];
        final float[] m = new float[ROWS], alpha = new float[ROWS], l = new float[ROWS * TileKernels.SUM_LANES];

        void ensure(int dqk, int dv) {
            if (q.length < ROWS * dqk) q = new float[ROWS * dqk];
            if (o.length < ROWS * dv) o = new float[ROWS * dv];
        }
    }

    /** Everything one call's tasks share; {@link #run} computes one query tile of one (batch, head). */
    private static final class Rows {
        final AttentionProblem problem;
        final AttentionSpec spec;
        final Tensor out, lse;
        final Packed packed;
        final int tilesKv;
        final int[] offsets;                     // per sequence: a per-sequence alignment differs between them
        final MaskView view;
        final boolean dataMask, hasBias;
        final float scale, cap;

        Rows(AttentionProblem problem, Tensor out, Tensor lse, Packed packed, int tilesKv) {
            this.problem = problem;
            this.spec = problem.spec();
            this.out = out;
            this.lse = lse;
            this.packed = packed;
            this.tilesKv = tilesKv;
            this.offsets = new int[spec.batch()];
            for (int b = 0; b < offsets.length; b++) offsets[b] = problem.positionOffset(b);
            this.dataMask = problem.mask() != null;
            this.view = dataMask ? problem.maskView() : null;
            this.hasBias = dataMask && view.hasBias();
            this.scale = (float) spec.effectiveScale();
            this.cap = (float) spec.softcap();
        }

        /** First key row {@code i} of batch {@code b} may see (window left edge), possibly negative. */
        long lo(int b, int i) {
            Window w = spec.window();
            return w == null || w.left() == Window.UNBOUNDED ? Long.MIN_VALUE : (long) i + offsets[b] - w.left();
        }

        /** Last key row {@code i} of batch {@code b} may see (causal, window right edge, key padding, Skv). */
        long hi(int b, int i) {
            long p = (long) i + offsets[b], hi = spec.kvLength() - 1L;
            if (problem.keyLengths() != null) hi = problem.keyLengths()[b] - 1L;
            if (spec.causal()) hi = Math.min(hi, p);
            Window w = spec.window();
            if (w != null && w.right() != Window.UNBOUNDED) hi = Math.min(hi, p + w.right());
            return hi;
        }

        void run(int b, int h, int qt) {
            int dqk = spec.qkHeadDim(), dv = spec.vHeadDim();
            int i0 = qt * BR, i1 = Math.min(spec.qLength(), i0 + BR), rows = i1 - i0;
            int rowsPad = roundUp(rows, TileKernels.ROW_BLOCK);
            int g = h / spec.groupSize();                    // query head h reads kv head h / (Hq / Hkv)
            Scratch sc = SCRATCH.get();
            sc.ensure(dqk, dv);
            float[] qs = sc.q, s = sc.s, o = sc.o, m = sc.m, l = sc.l, alpha = sc.alpha;

            // 1. Q tile, dense (rowsPad x Dqk), zero rows past Sq; O = 0, m = -inf, l = 0. Not pre-scaled: rounding
            //    q*scale first adds an error that large logits amplify beyond the tolerance model (S2 1e4 logits)
            Tensor q = problem.query();
            int qCol = q.stride(3);
            float qScale = TypedRows.factor(q, b, h);
            for (int r = 0; r < rowsPad; r++) {
                if (r < rows) {                              // from &Q[b][h][i][0], widened to fp32
                    TypedRows.load(q, q.index(b, h, i0 + r, 0), qCol, dqk, qScale, qs, r * dqk, 1);
                } else {
                    Arrays.fill(qs, r * dqk, (r + 1) * dqk, 0f);
                }
            }
            Arrays.fill(o, 0, rowsPad * dv, 0f);
            Arrays.fill(m, Float.NEGATIVE_INFINITY);
            Arrays.fill(l, 0f);
            Arrays.fill(alpha, 1f);                          // padding rows keep O = 0 under the rescale

            // 2. the kv tiles that intersect the rows' band [lo(b, i0), hi(i1-1)]
            long bandLo = lo(b, i0), bandHi = hi(b, i1 - 1);
            int tFirst = (int) Math.max(0, bandLo < 0 ? 0 : bandLo / BC);
            int tLast = (int) Math.min(tilesKv - 1, bandHi < 0 ? -1 : bandHi / BC);
            int tileBase = (b * spec.kvHeads() + g) * tilesKv;
            for (int t = tFirst; t <= tLast; t++) {
                int j0 = t * BC, jn = Math.min(BC, spec.kvLength() - j0), jEnd = j0 + jn - 1;
                boolean full = !dataMask && lo(b, i1 - 1) <= j0 && hi(b, i0) >= jEnd;
                if (!full && (bandHi < j0 || lo(b, i0) > jEnd)) continue;
                // columns past the last row's last visible key are hidden from every row: not computed at all
                if (bandHi < jEnd) jn = (int) (bandHi - j0 + 1);
                int cols = roundUp(jn, TileKernels.COL_BLOCK);
                int tile = tileBase + t;
                TileKernels.scores(qs, 0, dqk, packed.kt, packed.ktOffset(tile), BC, s, 0, BC, rowsPad, cols, dqk);
                // without softcap or bias, the scale rides on the exponent's fma (a hidden key's -inf stays -inf);
                // otherwise S becomes logits first
                boolean folded = cap == 0 && !hasBias && scale > 0;
                for (int r = 0; r < rows && !(full && folded); r++) {
                    int sRow = r * BC;
                    if (!folded) TileKernels.scale(s, sRow, jn, scale);
                    if (cap != 0) TileKernels.softcap(s, sRow, jn, cap);
                    if (!full) maskRow(s, sRow, b, h, i0 + r, j0, jn);
                }
                TileKernels.onlineSoftmax(s, BC, rows, jn, cols, folded ? scale : 1f, m, alpha, l);
                Arrays.fill(s, rows * BC, rowsPad * BC, 0f);   // padding rows: p = 0 whatever K holds
                if (full || packed.vFinite[tile]) {
                    // a hidden key has p = 0 exactly, and 0 * finite v adds nothing
                    TileKernels.accumulate(s, 0, BC, packed.v, packed.vOffset(tile), dv, o, 0, dv, alpha, rowsPad,
                            cols, dv);
                } else {
                    // non-finite values in a partly hidden tile: skip hidden keys one by one so NaN cannot leak
                    for (int r = 0; r < rows; r++) {
                        TileKernels.scale(o, r * dv, dv, alpha[r]);
                        for (int c = 0; c < jn; c++) {
                            if (visible(b, h, i0 + r, j0 + c)) {
                                TileKernels.axpy(s[r * BC + c], packed.v, packed.vOffset(tile) + c * dv, o, r * dv, dv);
                            }
                        }
                    }
                }
            }

            // 3. out = O / l, rounded once to the output's type; a row that saw no key (l = 0) is all zeros
            int oCol = out.stride(3);
            boolean direct = out.type() == ElementType.FP32 && oCol == 1;
            for (int r = 0; r < rows; r++) {
                int oRow = out.index(b, h, i0 + r, 0);       // &out[b][h][i][0]
                float lr = TileKernels.rowSum(l, r);
                // m is the row's largest logit, l its sum of exp(logit - m): ln sum exp = m + ln l
                if (lse != null) lse.set(lr == 0f ? Float.NEGATIVE_INFINITY : m[r] + (float) Math.log(lr), b, h, i0 + r);
                if (lr == 0f) Arrays.fill(o, r * dv, (r + 1) * dv, 0f);
                if (direct && lr != 0f) {
                    TileKernels.divide(o, r * dv, out.data(), oRow, dv, lr);
                    continue;
                }
                if (lr != 0f) TileKernels.divide(o, r * dv, o, r * dv, dv, lr);
                TypedRows.store(o, r * dv, dv, out, oRow, oCol);
            }
        }

        boolean visible(int b, int h, int i, int j) {
            return dataMask ? view.visible(b, h, i, j) : lo(b, i) <= j && j <= hi(b, i);
        }

        /** Hidden keys of row i in a partly visible tile become -inf; visible ones get their bias. */
        void maskRow(float[] s, int sRow, int b, int h, int i, int j0, int jn) {
            if (!dataMask) {                                 // one visible run of columns [a, z)
                int a = (int) Math.min(jn, Math.max(lo(b, i), j0) - j0);
                int z = (int) Math.max(a, Math.min(jn, hi(b, i) - j0 + 1));
                Arrays.fill(s, sRow, sRow + a, Float.NEGATIVE_INFINITY);
                Arrays.fill(s, sRow + z, sRow + jn, Float.NEGATIVE_INFINITY);
                return;
            }
            for (int c = 0; c < jn; c++) {
                int j = j0 + c;
                if (!view.visible(b, h, i, j)) s[sRow + c] = Float.NEGATIVE_INFINITY;
                else if (hasBias) s[sRow + c] += view.bias(b, h, i, j);
            }
        }
    }
}
