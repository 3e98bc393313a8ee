package dev.attest.backends.tiled;

import dev.attest.backends.batched.CpuBatchedBackend;
import dev.attest.backends.kernels.TileKernels;
import dev.attest.backends.kernels.TypedRows;
import dev.attest.backends.tiled.TileSchedule.Part;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.ElementType;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.MaskView;
import dev.attest.reference.paged.PagedProblem;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.reference.Window;
import dev.attest.spi.Capabilities;
import dev.attest.spi.CheckedBackend;
import dev.attest.spi.KvCache;
import dev.attest.spi.TensorTypes;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Flash-style tiled CPU attention: no Sq x Skv score matrix. Per (batch, query head, query tile) one task walks the
 * key/value tiles with an online softmax (running max m and running sum l per row), so memory is O(tile) per task.
 *
 * <pre>
 *   pack    K -> Kt tiles (Dqk x BC, transposed), V -> V tiles (BC x Dv), every kv head's (PackedTiles)
 *   for each query tile (BR rows) of each (b, h), in parallel (TileSchedule: packs, then tasks, one loop):
 *     Q tile (BR x Dqk), packed for every head at once where heads interleave in memory
 *     for each kv tile that is not fully masked:
 *       S = Q Kt                               register-blocked 6 rows x 4 vectors, 6 x 2 on AVX2 (TileKernels.scores)
 *       s = softcap(S * scale) + bias; hidden -> -inf   (only with softcap, a bias, or on partially masked tiles)
 *       m' = max(m, rowmax s); p = exp(s - m'); l = l e^(m - m') + sum p     (TileKernels.onlineSoftmax)
 *       O = O e^(m - m') + P V                  register-blocked as S (TileKernels.accumulate)
 *     out = O / l  (l = 0: a fully masked row, written as zeros; staged and written every head of a row at
 *                   once where heads interleave in memory, as in a packed batch)
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

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    /** Packed K/V buffers, reused across calls (grown when too small): steady-state allocation is independent of n. */
    private final AtomicReference<PackedTiles> cache = new AtomicReference<>();

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
        attend(List.of(Part.of(problem, out, aux.logSumExp())));
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
        attend(List.of(new Part(shell, out, null, PackedTiles.keysOf(problem.kv(), spec.kvHeads(), spec.qkHeadDim(),
                spec.vHeadDim()))));
    }

    /**
     * Each sequence of a packed batch in place (its tiles packed from strided views, its rows written directly), and
     * every sequence in one schedule: no pause between sequences, a sequence's kv tiles packed just before its rows.
     */
    @Override
    protected void computePackedAttention(dev.attest.reference.packed.PackedProblem problem, Tensor out) {
        List<Part> parts = new ArrayList<>();
        problem.runEachInPlace((b, alone, rows) -> parts.add(Part.of(alone, rows, null)), out);
        if (!parts.isEmpty()) attend(parts);
    }

    private void attend(AttentionProblem problem, Tensor out) {
        attend(List.of(Part.of(problem, out, null)));
    }

    /** The parts' attention in one {@link TileSchedule}, through the buffer of packed tiles this backend keeps. */
    private void attend(List<Part> parts) {
        TileSchedule schedule = new TileSchedule(parts);
        AttentionSpec first = parts.get(0).problem().spec();
        PackedTiles packed = PackedTiles.atLeast(cache.getAndSet(null), schedule.kvTiles(), schedule.qTiles(),
                first.qkHeadDim(), first.vHeadDim());
        try {
            Rows[] rows = new Rows[parts.size()];
            for (int p = 0; p < rows.length; p++) {
                Part part = parts.get(p);
                rows[p] = new Rows(part.problem(), part.out(), part.lse(), packed, part.tilesKv());
            }
            schedule.run(packed, (p, b, h, qt, kvBase, qBase) -> rows[p].run(b, h, qt, kvBase, qBase));
        } finally {
            cache.set(packed);
        }
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }

    /** Per-worker tiles: Q (BR x Dqk), S/P (BR x BC), O (BR x Dv), m and alpha (BR), l (BR x SUM_LANES). */
    private static final class Scratch {
        static final int ROWS = PackedTiles.ROWS;
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
        final PackedTiles packed;
        final int tilesKv;
        final int[] offsets;                     // per sequence: a per-sequence alignment differs between them
        final MaskView view;
        final boolean dataMask, hasBias;
        final float scale, cap;

        Rows(AttentionProblem problem, Tensor out, Tensor lse, PackedTiles packed, int tilesKv) {
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

        /**
         * Query tile qt of (b, h), batch entry b's kv tiles in {@code packed} from kvBase and its query tiles from
         * qBase (or qBase -1: this task loads its own Q tile and writes its own rows).
         */
        void run(int b, int h, int qt, int kvBase, int qBase) {
            int dqk = spec.qkHeadDim(), dv = spec.vHeadDim();
            int i0 = qt * BR, i1 = Math.min(spec.qLength(), i0 + BR), rows = i1 - i0;
            int rowsPad = roundUp(rows, TileKernels.ROW_BLOCK);
            int g = h / spec.groupSize();                    // query head h reads kv head h / (Hq / Hkv)
            Scratch sc = SCRATCH.get();
            sc.ensure(dqk, dv);
            float[] qs = sc.q, s = sc.s, o = sc.o, m = sc.m, l = sc.l, alpha = sc.alpha;
            int qAt = 0, qTile = qBase + h * ceilDiv(spec.qLength(), BR) + qt;

            // 1. Q tile, dense (rowsPad x Dqk), zero rows past Sq, packed already or loaded here; O = 0, m = -inf,
            //    l = 0. Not pre-scaled: rounding q*scale first adds an error that large logits amplify beyond the
            //    tolerance model (S2 1e4 logits)
            if (qBase >= 0) {
                qs = packed.q;
                qAt = packed.qOffset(qTile);
            } else {
                loadQueries(b, h, i0, rows, rowsPad, qs);
            }
            Arrays.fill(o, 0, rowsPad * dv, 0f);
            Arrays.fill(m, Float.NEGATIVE_INFINITY);
            Arrays.fill(l, 0f);
            Arrays.fill(alpha, 1f);                          // padding rows keep O = 0 under the rescale

            // 2. the kv tiles that intersect the rows' band [lo(b, i0), hi(i1-1)]
            long bandLo = lo(b, i0), bandHi = hi(b, i1 - 1);
            int tFirst = (int) Math.max(0, bandLo < 0 ? 0 : bandLo / BC);
            int tLast = (int) Math.min(tilesKv - 1, bandHi < 0 ? -1 : bandHi / BC);
            int tileBase = kvBase + g * tilesKv;
            for (int t = tFirst; t <= tLast; t++) {
                int j0 = t * BC, jn = Math.min(BC, spec.kvLength() - j0), jEnd = j0 + jn - 1;
                boolean full = !dataMask && lo(b, i1 - 1) <= j0 && hi(b, i0) >= jEnd;
                if (!full && (bandHi < j0 || lo(b, i0) > jEnd)) continue;
                // columns past the last row's last visible key are hidden from every row: not computed at all
                if (bandHi < jEnd) jn = (int) (bandHi - j0 + 1);
                int cols = roundUp(jn, TileKernels.COL_BLOCK);
                int tile = tileBase + t;
                TileKernels.scores(qs, qAt, dqk, packed.kt, packed.ktOffset(tile), BC, s, 0, BC, rowsPad, cols, dqk);
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

            // 3. out = O / l, rounded once to the output's type; a row that saw no key (l = 0) is all zeros. Where
            //    rows interleave, O / l is staged in fp32 and written every head of a row at once by unpackOutputs
            int oCol = out.stride(3);
            boolean staged = qBase >= 0, direct = !staged && out.type() == ElementType.FP32 && oCol == 1;
            float[] dst = staged ? packed.o : direct ? out.data() : o;
            for (int r = 0; r < rows; r++) {
                float lr = TileKernels.rowSum(l, r);
                // m is the row's largest logit, l its sum of exp(logit - m): ln sum exp = m + ln l
                if (lse != null) lse.set(lr == 0f ? Float.NEGATIVE_INFINITY : m[r] + (float) Math.log(lr), b, h, i0 + r);
                int at = staged ? packed.oOffset(qTile) + r * dv : direct ? out.index(b, h, i0 + r, 0) : r * dv;
                if (lr == 0f) Arrays.fill(dst, at, at + dv, 0f);
                else TileKernels.divide(o, r * dv, dst, at, dv, lr);
                if (!staged && !direct) TypedRows.store(o, r * dv, dv, out, out.index(b, h, i0 + r, 0), oCol);
            }
        }

        /** Rows [i0, i0 + rows) of Q[b][h] widened into {@code qs} (rowsPad x Dqk), the padding rows zero. */
        private void loadQueries(int b, int h, int i0, int rows, int rowsPad, float[] qs) {
            Tensor q = problem.query();
            int dqk = spec.qkHeadDim(), qCol = q.stride(3);
            float qScale = TypedRows.factor(q, b, h);
            for (int r = 0; r < rowsPad; r++) {
                if (r < rows) {                              // from &Q[b][h][i][0], widened to fp32
                    TypedRows.load(q, q.index(b, h, i0 + r, 0), qCol, dqk, qScale, qs, r * dqk, 1);
                } else {
                    Arrays.fill(qs, r * dqk, (r + 1) * dqk, 0f);
                }
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
