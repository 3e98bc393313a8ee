package dev.attest.backends.batched;

import dev.attest.backends.cache.CpuKvCache;
import dev.attest.backends.kernels.Gemm;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.spi.KvCache;
import dev.attest.backends.kernels.Rope;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.MaskView;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.spi.CheckedBackend;
import dev.attest.spi.Capabilities;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Batched CPU attention: one fused QKV projection GEMM, heads split by strides over the fused buffer (no copy),
 * core attention over blocks of query rows in parallel, one output-projection GEMM. fp32 storage and accumulation.
 *
 * <p>Deterministic regardless of thread count: every output row is computed by exactly one task, and every sum
 * runs in the same natural order as in {@code cpu-naive}.
 */
public final class CpuBatchedBackend extends CheckedBackend {
    private static final Capabilities CAPABILITIES = Capabilities.everything(Precision.FP32);
    /** Query rows per attention task: enough work to amortise a fork, small enough to balance across cores. */
    private static final int ROW_BLOCK = 16;
    /** Below this many multiply-adds the core attention runs on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1L << 15;

    /** The full backend: every feature of the contract, fp32 (what {@link java.util.ServiceLoader} creates). */
    public CpuBatchedBackend() {
        this(CAPABILITIES);
    }

    /**
     * The same backend declaring only {@code capabilities} (a subset of what it can do), so that the refusal path
     * (an undeclared feature is refused before anything is written) can be exercised.
     */
    public CpuBatchedBackend(Capabilities capabilities) {
        super("cpu-batched", "fused QKV GEMM, strided head views, row-block parallel attention, fp32", capabilities);
    }

    @Override
    protected void computeAttention(AttentionProblem problem, Tensor out, dev.attest.reference.AuxiliaryOutputs aux) {
        computeAttention(problem, out);
        dev.attest.backends.kernels.AuxiliaryRows.write(problem, aux);
    }

    @Override
    protected void computeAttention(AttentionProblem problem, Tensor out) {
        attend(problem, out);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Core attention

    /** Splits (b, h, row block) among tasks; each task owns its output rows. */
    private static void attend(AttentionProblem problem, Tensor out) {
        AttentionSpec spec = problem.spec();
        MaskView mask = problem.maskView();
        int blocksPerHead = (spec.qLength() + ROW_BLOCK - 1) / ROW_BLOCK;
        int tasks = spec.batch() * spec.qHeads() * blocksPerHead;
        long work = (long) spec.batch() * spec.qHeads() * spec.qLength() * spec.kvLength()
                * (spec.qkHeadDim() + spec.vHeadDim());
        IntStream range = IntStream.range(0, tasks);
        if (work >= PARALLEL_THRESHOLD && tasks > 1) range = range.parallel();
        range.forEach(task -> {
            int b = task / (spec.qHeads() * blocksPerHead);
            int h = task / blocksPerHead % spec.qHeads();
            int i0 = task % blocksPerHead * ROW_BLOCK;
            attendRows(problem, mask, out, b, h, i0, Math.min(spec.qLength(), i0 + ROW_BLOCK));
        });
    }

    /** Rows {@code [i0, i1)} of query head {@code h}, batch {@code b}: scores, softmax and P*V, one row at a time. */
    private static void attendRows(AttentionProblem problem, MaskView mask, Tensor out, int b, int h, int i0, int i1) {
        AttentionSpec spec = problem.spec();
        Tensor q = problem.query(), k = problem.key(), v = problem.value();
        float[] qd = q.data(), kd = k.data(), vd = v.data(), od = out.data();
        int skv = spec.kvLength(), dqk = spec.qkHeadDim(), dv = spec.vHeadDim();
        float scale = (float) spec.effectiveScale();
        double cap = spec.softcap();

        int kvh = h / spec.groupSize();                      // query head h reads kv head h / (Hq / Hkv)
        int kBase = k.index(b, kvh, 0, 0), kRow = k.stride(2), kCol = k.stride(3);    // &K[b][kvh][j][d]
        int vBase = v.index(b, kvh, 0, 0), vRow = v.stride(2), vCol = v.stride(3);    // &V[b][kvh][j][d]
        int qCol = q.stride(3), oCol = out.stride(3);

        float[] p = new float[skv];
        boolean[] visible = new boolean[skv];
        float[] acc = new float[dv];
        for (int i = i0; i < i1; i++) {
            int qRow = q.index(b, h, i, 0);                  // &Q[b][h][i][0]

            // 1. logits of the visible keys: softcap((q . k_j) * scale) + bias; hidden keys are never read
            float max = Float.NEGATIVE_INFINITY;
            boolean any = false;
            for (int j = 0; j < skv; j++) {
                visible[j] = mask.visible(b, h, i, j);
                if (!visible[j]) continue;
                float s = dot(qd, qRow, qCol, kd, kBase + j * kRow, kCol, dqk) * scale;
                if (cap != 0) s = (float) (cap * Math.tanh(s / cap));
                s += mask.bias(b, h, i, j);
                p[j] = s;
                max = any ? Math.max(max, s) : s;
                any = true;
            }

            // 2. max-subtracted softmax over the visible keys
            float sum = 0f;
            for (int j = 0; j < skv; j++) {
                if (!visible[j]) continue;
                p[j] = (float) Math.exp(p[j] - max);
                sum += p[j];
            }
            for (int j = 0; j < skv; j++) if (visible[j]) p[j] = p[j] / sum;

            // 3. o_i = sum_j p_j v_j (j ascending for every d); a fully masked row stays zero
            java.util.Arrays.fill(acc, 0f);
            for (int j = 0; j < skv; j++) {
                if (!visible[j]) continue;
                axpy(p[j], vd, vBase + j * vRow, vCol, acc, dv);
            }
            int oRow = out.index(b, h, i, 0);
            for (int d = 0; d < dv; d++) od[oRow + d * oCol] = acc[d];
        }
    }

    /** {@code sum_d x[xOff + d*xStride] * y[yOff + d*yStride]}, float accumulation in order. */
    private static float dot(float[] x, int xOff, int xStride, float[] y, int yOff, int yStride, int n) {
        float s = 0f;
        for (int d = 0; d < n; d++) s += x[xOff + d * xStride] * y[yOff + d * yStride];
        return s;
    }

    /** {@code acc[d] += a * x[xOff + d*xStride]} for {@code d < n}. */
    private static void axpy(float a, float[] x, int xOff, int xStride, float[] acc, int n) {
        for (int d = 0; d < n; d++) acc[d] += a * x[xOff + d * xStride];
    }

    // ---------------------------------------------------------------------------------------------------------
    // The KV cache

    @Override
    protected KvCache createCache(CacheSpec spec, LayerWeights weights) {
        return newCache(spec, weights);
    }

    /** The O(L x d) decode cache, for other backends that reuse it (cpu-tiled). The spec is already checked. */
    public static KvCache newCache(CacheSpec spec, LayerWeights weights) {
        return new BatchedCache(spec, weights);
    }

    /**
     * A decode step costs O(cached length x d): one sequential pass over the cached keys computing the logits of
     * every head, a softmax per head, one sequential pass over the cached values. Keys and values are stored
     * slot-major (slot, Hkv, D), so each pass streams the cache once, in order, whatever the number of heads. The
     * score buffer (Hq x L) is kept and grown by doubling, so a step allocates nothing once it has reached its
     * length (storage grows the same way, in {@link CpuKvCache}).
     *
     * <p>Every sum keeps the order of cpu-naive (j ascending for each head and feature), so the two caches agree.
     */
    private static final class BatchedCache extends CpuKvCache {
        private float[] p = new float[256];

        BatchedCache(CacheSpec spec, LayerWeights weights) {
            super(spec, weights);
        }

        @Override
        protected void attendToken(int b, int pos, int first, int last, float[] bias, float[] q, float[] o) {
            int count = last - first + 1;
            if (p.length < qHeads * count) p = new float[Math.max(qHeads * count, 2 * p.length)];
            float[] keys = keys(b), values = values(b);
            // 1. logits: p[h*count + (j - first)] = softcap((q_h . k_j) * scale) + bias, one pass over the keys
            for (int j = first; j <= last; j++) {
                for (int h = 0; h < qHeads; h++) {
                    int kvh = h / group;                     // query head h reads kv head h / (Hq / Hkv)
                    float s = dot(q, h * qkDim, 1, keys, keyOffset(b, j, kvh), 1, qkDim) * scale;
                    if (softcap != 0) s = (float) (softcap * Math.tanh(s / softcap));
                    p[h * count + j - first] = bias == null ? s : s + bias[h * count + j - first];
                }
            }
            // 2. max-subtracted softmax per head
            for (int h = 0; h < qHeads; h++) {
                int row = h * count;
                float max = p[row];
                for (int i = 1; i < count; i++) max = Math.max(max, p[row + i]);
                float sum = 0f;
                for (int i = 0; i < count; i++) {
                    p[row + i] = (float) Math.exp(p[row + i] - max);
                    sum += p[row + i];
                }
                for (int i = 0; i < count; i++) p[row + i] = p[row + i] / sum;
            }
            // 3. o_h = sum_j p_hj v_j (j ascending for every h and d), one pass over the values
            java.util.Arrays.fill(o, 0, qHeads * vDim, 0f);
            for (int j = first; j <= last; j++) {
                for (int h = 0; h < qHeads; h++) {
                    float pj = p[h * count + j - first];
                    int v0 = valueOffset(b, j, h / group), o0 = h * vDim;
                    for (int d = 0; d < vDim; d++) o[o0 + d] += pj * values[v0 + d];
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The layer

    @Override
    protected void computeLayer(LayerProblem problem, Tensor out) {
        layer(problem, out, CpuBatchedBackend::attend);
    }

    /**
     * The multi-head layer around any core attention: projections as fused GEMMs, heads as strided views, then
     * {@code core} writes the concatenated-heads buffer, then the output projection. Other backends (cpu-tiled)
     * reuse the projections and bring their own core.
     */
    public static void layer(LayerProblem problem, Tensor out,
                             java.util.function.BiConsumer<AttentionProblem, Tensor> core) {
        LayerSpec spec = problem.spec();
        AttentionSpec coreSpec = spec.core();
        LayerWeights w = problem.weights();
        int batch = coreSpec.batch(), sq = coreSpec.qLength(), skv = coreSpec.kvLength();
        int hq = coreSpec.qHeads(), hkv = coreSpec.kvHeads(), dqk = coreSpec.qkHeadDim(), dv = coreSpec.vHeadDim();

        // 1. projections as GEMMs over all B*S tokens. Self-attention: one fused [Wq|Wk|Wv] GEMM into one BSHD
        //    buffer. Cross-attention: Q from X, fused [Wk|Wv] from the memory.
        Matrix x = Matrix.rows(problem.input());
        Part pq = new Part(w.wq(), w.bq(), w.loraQ());
        Part pk = new Part(w.wk(), w.bk(), w.loraK());
        Part pv = new Part(w.wv(), w.bv(), w.loraV());
        float[] qBuf, kvBuf;
        int qLd, kvLd, qCol0, kCol0, vCol0;
        if (!spec.crossAttention()) {
            qBuf = kvBuf = project(x, List.of(pq, pk, pv));
            qLd = kvLd = spec.qWidth() + spec.kWidth() + spec.vWidth();
            qCol0 = 0;
            kCol0 = spec.qWidth();
            vCol0 = spec.qWidth() + spec.kWidth();
        } else {
            qBuf = project(x, List.of(pq));
            kvBuf = project(Matrix.rows(problem.memory()), List.of(pk, pv));
            qLd = spec.qWidth();
            kvLd = spec.kWidth() + spec.vWidth();
            qCol0 = 0;
            kCol0 = 0;
            vCol0 = spec.kWidth();
        }

        // 2. heads by strides over the projection buffers, no copy: token (b, s) is row b*S + s, head h of Q
        //    starts at column qCol0 + h*Dqk, so Q[b][h][s][d] = qBuf[qCol0 + b*S*ld + h*Dqk + s*ld + d]
        Tensor q = Tensor.view(qBuf, qCol0, new int[]{batch, hq, sq, dqk}, new int[]{sq * qLd, dqk, qLd, 1});
        Tensor k = Tensor.view(kvBuf, kCol0, new int[]{batch, hkv, skv, dqk}, new int[]{skv * kvLd, dqk, kvLd, 1});
        Tensor v = Tensor.view(kvBuf, vCol0, new int[]{batch, hkv, skv, dv}, new int[]{skv * kvLd, dv, kvLd, 1});

        // 3. rotary in place on our own buffers, Q at queryPosition + i, K at keyPosition + j
        if (spec.rotary() != null) {
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < sq; i++) {
                    for (int h = 0; h < hq; h++) {
                        Rope.rotate(spec.rotary(), qBuf, q.index(b, h, i, 0), 1, (long) problem.queryPosition() + i);
                    }
                }
                for (int j = 0; j < skv; j++) {
                    for (int h = 0; h < hkv; h++) {
                        Rope.rotate(spec.rotary(), kvBuf, k.index(b, h, j, 0), 1, (long) problem.keyPosition() + j);
                    }
                }
            }
        }

        // 4. core attention straight into the concatenated-heads buffer O (B*Sq, Hq*Dv): head h -> [h*Dv, (h+1)*Dv)
        int cw = spec.concatWidth();
        float[] oBuf = new float[batch * sq * cw];
        Tensor o = Tensor.view(oBuf, 0, new int[]{batch, hq, sq, dv}, new int[]{sq * cw, dv, cw, 1});
        core.accept(new AttentionProblem(coreSpec, q, k, v, problem.mask(), problem.keyLengths()), o);

        // 5. Y = O * Wo + bo: one GEMM over all tokens
        int rows = batch * sq, dOut = spec.outputDim();
        Matrix wo = Matrix.of(w.wo());
        float[] y = new float[rows * dOut];
        Gemm.multiply(oBuf, 0, cw, wo.data, wo.offset, wo.ld, y, 0, dOut, rows, cw, dOut, false, true);
        if (w.bo() != null) addBias(y, rows, dOut, 0, dOut, w.bo());
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < sq; i++) {
                int row = (b * sq + i) * dOut;
                for (int c = 0; c < dOut; c++) out.data()[out.index(b, i, c)] = y[row + c];
            }
        }
    }

    /** One projection: weight (in, width), optional bias (width), optional LoRA adapter. */
    private record Part(Tensor weight, Tensor bias, LayerWeights.Lora lora) {
        int width() {
            return weight.dim(1);
        }
    }

    /**
     * {@code C = X * [W_1 | W_2 | ...] + [b_1 | b_2 | ...] + [(alpha/r) (X A_1) B_1 | ...]} as one fused GEMM (plus
     * one fused {@code X * [A_1 | A_2 | ...]} GEMM and a small one per adapter). Returns C, row-major
     * (rows, sum of widths): part {@code p} owns its columns in order.
     */
    private static float[] project(Matrix x, List<Part> parts) {
        int in = parts.getFirst().weight().dim(0);
        int total = parts.stream().mapToInt(Part::width).sum();

        // fused weight [W_1 | W_2 | ...] (in, total), built once per call
        float[] fused = new float[in * total];
        int col = 0;
        for (Part part : parts) {
            copyColumns(part.weight(), fused, total, col);
            col += part.width();
        }
        float[] c = new float[x.rows * total];
        Gemm.multiply(x.data, x.offset, x.ld, fused, 0, total, c, 0, total, x.rows, in, total, false, true);

        // + bias, column block by column block
        col = 0;
        for (Part part : parts) {
            if (part.bias() != null) addBias(c, x.rows, total, col, part.width(), part.bias());
            col += part.width();
        }

        // + (alpha/r) (X A) B: fused T = X [A_1 | A_2 | ...], then U_p = T_p B_p per adapter
        List<Part> adapted = new ArrayList<>();
        for (Part part : parts) if (part.lora() != null) adapted.add(part);
        if (!adapted.isEmpty()) {
            int ranks = adapted.stream().mapToInt(p -> p.lora().rank()).sum();
            float[] fusedA = new float[in * ranks];
            int r0 = 0;
            for (Part part : adapted) {
                copyColumns(part.lora().a(), fusedA, ranks, r0);
                r0 += part.lora().rank();
            }
            float[] t = new float[x.rows * ranks];
            Gemm.multiply(x.data, x.offset, x.ld, fusedA, 0, ranks, t, 0, ranks, x.rows, in, ranks, false, true);
            col = 0;
            r0 = 0;
            for (Part part : parts) {
                if (part.lora() != null) {
                    int r = part.lora().rank(), width = part.width();
                    Matrix bm = Matrix.of(part.lora().b());
                    float[] u = new float[x.rows * width];
                    Gemm.multiply(t, r0, ranks, bm.data, bm.offset, bm.ld, u, 0, width, x.rows, r, width, false, true);
                    float s = (float) part.lora().scaling();
                    for (int row = 0; row < x.rows; row++) {
                        for (int d = 0; d < width; d++) c[row * total + col + d] += s * u[row * width + d];
                    }
                    r0 += r;
                }
                col += part.width();
            }
        }
        return c;
    }

    /** {@code dst[r*ld + col0 + c] = m[r][c]} for a strided matrix {@code m}. */
    private static void copyColumns(Tensor m, float[] dst, int ld, int col0) {
        for (int r = 0; r < m.dim(0); r++) {
            for (int c = 0; c < m.dim(1); c++) dst[r * ld + col0 + c] = m.data()[m.offset() + r * m.stride(0) + c * m.stride(1)];
        }
    }

    /** {@code y[r*ld + col0 + c] += bias[c]} for every row. */
    private static void addBias(float[] y, int rows, int ld, int col0, int width, Tensor bias) {
        for (int c = 0; c < width; c++) {
            float bc = bias.data()[bias.offset() + c * bias.stride(0)];
            for (int r = 0; r < rows; r++) y[r * ld + col0 + c] += bc;
        }
    }

    /** A row-major matrix on an array: element (r, c) at {@code data[offset + r*ld + c]}. */
    private record Matrix(float[] data, int offset, int ld, int rows) {

        /** A matrix tensor used in place when its rows are dense, else a dense copy. */
        static Matrix of(Tensor m) {
            if (m.stride(1) == 1) return new Matrix(m.data(), m.offset(), m.stride(0), m.dim(0));
            float[] copy = new float[m.dim(0) * m.dim(1)];
            copyColumns(m, copy, m.dim(1), 0);
            return new Matrix(copy, 0, m.dim(1), m.dim(0));
        }

        /** A (B, S, width) sequence as (B*S, width) rows: in place when the tokens are evenly spaced, else a copy. */
        static Matrix rows(Tensor x) {
            int batch = x.dim(0), length = x.dim(1), width = x.dim(2);
            if (x.stride(2) == 1 && (batch == 1 || x.stride(0) == length * x.stride(1))) {
                return new Matrix(x.data(), x.offset(), x.stride(1), batch * length);
            }
            float[] copy = new float[batch * length * width];
            int[] k = {0};
            x.forEachIndex(i -> copy[k[0]++] = x.data()[i]);
            return new Matrix(copy, 0, width, batch * length);
        }
    }
}
