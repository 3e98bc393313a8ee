package dev.attest.backends.cache;

import dev.attest.backends.kernels.Rope;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.Chunk;
import dev.attest.reference.cache.Eviction;
import dev.attest.spi.CacheFullException;
import dev.attest.spi.KvCache;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * The storage and bookkeeping every CPU backend's KV cache shares; a backend supplies only
 * {@link #attendToken}, the attention of one new query over the cached keys.
 *
 * <pre>
 *   per sequence b: keys[b]   slot-major (slot, Hkv, Dqk)   slot = position (NONE) or position % capacity (ring)
 *                   values[b] slot-major (slot, Hkv, Dv)
 *                   held positions [oldest[b], length[b])
 *   append: validate everything -> grow storage (capacity doubling, amortised) -> per token, in order:
 *           (layer: project x once, rotate q and k at the absolute position) -> store k, v -> attend -> write out
 * </pre>
 * Tokens of a chunk are processed one at a time, each stored before it attends, so query t sees chunk keys
 * {@code 0..t} (causal within the chunk) and a ring never needs more than {@code window} slots.
 *
 * <p>All-or-nothing: every check runs before the first write, and nothing after the checks can fail.
 */
public abstract class CpuKvCache implements KvCache {
    /** First allocation per sequence, in tokens; doubled whenever it fills (never a copy per token). */
    private static final int INITIAL_SLOTS = 16;

    protected final CacheSpec spec;
    protected final int batch, qHeads, kvHeads, qkDim, vDim, group;
    protected final float scale;
    protected final double softcap;
    private final boolean ring;
    private final int capacity;
    private final int[] length;
    private final int[] oldest;
    private final float[][] keys;
    private final float[][] values;
    private final int[] slots;

    // the layer, as dense row-major copies made once at open (null for a core cache)
    private final LayerSpec layer;
    private final float[] wq, bq, wk, bk, wv, bv, wo, bo;
    private final Adapter loraQ, loraK, loraV;

    // per-token scratch, allocated once: a decode step allocates nothing
    private final float[] q, k, v, o, t;

    protected CpuKvCache(CacheSpec spec, LayerWeights weights) {
        this.spec = spec;
        AttentionSpec a = spec.attention();
        batch = a.batch();
        qHeads = a.qHeads();
        kvHeads = a.kvHeads();
        qkDim = a.qkHeadDim();
        vDim = a.vHeadDim();
        group = a.groupSize();
        scale = (float) a.effectiveScale();
        softcap = a.softcap();
        ring = spec.eviction() == Eviction.SLIDING_WINDOW;
        capacity = spec.capacity();
        length = new int[batch];
        oldest = new int[batch];
        keys = new float[batch][];
        values = new float[batch][];
        slots = new int[batch];
        int initial = ring ? capacity : Math.min(capacity, INITIAL_SLOTS);
        for (int b = 0; b < batch; b++) {
            keys[b] = new float[initial * kvHeads * qkDim];
            values[b] = new float[initial * kvHeads * vDim];
            slots[b] = initial;
        }
        layer = spec.layer();
        if (layer != null) {
            wq = dense(weights.wq()); bq = dense(weights.bq());
            wk = dense(weights.wk()); bk = dense(weights.bk());
            wv = dense(weights.wv()); bv = dense(weights.bv());
            wo = dense(weights.wo()); bo = dense(weights.bo());
            loraQ = Adapter.of(weights.loraQ());
            loraK = Adapter.of(weights.loraK());
            loraV = Adapter.of(weights.loraV());
        } else {
            wq = bq = wk = bk = wv = bv = wo = bo = null;
            loraQ = loraK = loraV = null;
        }
        q = new float[qHeads * qkDim];
        k = new float[kvHeads * qkDim];
        v = new float[kvHeads * vDim];
        o = new float[qHeads * vDim];
        t = new float[layer == null ? 0 : layer.loraRank()];
    }

    /**
     * Attention of the query {@code q} (Hq x Dqk, head-major) at absolute position {@code p} of sequence {@code b}
     * over its cached keys {@code [first, p]} (all present: {@link #keyOffset}, {@link #valueOffset}); writes
     * {@code o} (Hq x Dv, head-major).
     */
    protected abstract void attendToken(int b, int p, int first, float[] q, float[] o);

    @Override
    public final CacheSpec spec() {
        return spec;
    }

    /** Array offset of the key of position {@code j} (held) of sequence {@code b}, kv head {@code g}. */
    protected final int keyOffset(int j, int g) {
        return ((ring ? j % capacity : j) * kvHeads + g) * qkDim;
    }

    protected final int valueOffset(int j, int g) {
        return ((ring ? j % capacity : j) * kvHeads + g) * vDim;
    }

    protected final float[] keys(int b) {
        return keys[b];
    }

    protected final float[] values(int b) {
        return values[b];
    }

    @Override
    public final void append(Chunk chunk, Tensor out) {
        // 1. checks, all before the first write
        // (conditions are tested before a message is built: a decode step allocates nothing here)
        if (chunk == null || out == null) require(false, "append needs a chunk and an output tensor");
        chunk.requireMatches(spec);
        if (!outputMatches(chunk, out)) {
            require(false, "output has shape %s but appending %s needs %s", Arrays.toString(out.shape()), chunk,
                    Arrays.toString(chunk.outputShape(spec)));
        }
        int[] n = chunk.lengths();
        for (int b = 0; b < batch; b++) {
            if (!ring && length[b] + n[b] > capacity) throw new CacheFullException(b, length[b], n[b], capacity);
        }
        // 2. amortised growth (not observable)
        for (int b = 0; b < batch; b++) reserve(b, length[b] + n[b]);
        // 3. per token: store, attend, write
        zero(out);
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < n[b]; i++) {
                int row = chunk.row(b, i);
                int p = length[b];
                if (layer != null) project(chunk.input(), b, row, p);
                else gather(chunk, b, row);
                store(b, p);
                attendToken(b, p, Math.max(spec.firstVisibleKey(p), oldest[b]), q, o);
                if (layer != null) outputProjection(out, b, row);
                else for (int h = 0; h < qHeads; h++)
                    for (int d = 0; d < vDim; d++) out.data()[out.index(b, h, row, d)] = o[h * vDim + d];
            }
        }
    }

    private boolean outputMatches(Chunk chunk, Tensor out) {
        int width = chunk.width();
        if (layer != null) {
            return out.rank() == 3 && out.dim(0) == batch && out.dim(1) == width && out.dim(2) == layer.outputDim();
        }
        return out.rank() == 4 && out.dim(0) == batch && out.dim(1) == qHeads && out.dim(2) == width
                && out.dim(3) == vDim;
    }

    /** Zeroes every element of the output view (padding rows stay zero). */
    private static void zero(Tensor out) {
        float[] data = out.data();
        if (out.rank() == 3) {
            for (int b = 0; b < out.dim(0); b++)
                for (int i = 0; i < out.dim(1); i++)
                    for (int c = 0; c < out.dim(2); c++) data[out.offset() + b * out.stride(0) + i * out.stride(1) + c * out.stride(2)] = 0f;
            return;
        }
        for (int b = 0; b < out.dim(0); b++)
            for (int h = 0; h < out.dim(1); h++)
                for (int i = 0; i < out.dim(2); i++)
                    for (int d = 0; d < out.dim(3); d++) data[out.index(b, h, i, d)] = 0f;
    }

    private void reserve(int b, int needed) {
        if (ring || needed <= slots[b]) return;
        int grown = slots[b];
        while (grown < needed) grown = (int) Math.min(capacity, 2L * grown);
        keys[b] = Arrays.copyOf(keys[b], grown * kvHeads * qkDim);
        values[b] = Arrays.copyOf(values[b], grown * kvHeads * vDim);
        slots[b] = grown;
    }

    /** Copies row {@code row} of the chunk's Q into {@code q}, its K and V into {@code k}, {@code v}. */
    private void gather(Chunk chunk, int b, int row) {
        Tensor cq = chunk.query(), ck = chunk.key(), cv = chunk.value();
        for (int h = 0; h < qHeads; h++)
            for (int d = 0; d < qkDim; d++) q[h * qkDim + d] = cq.data()[cq.index(b, h, row, d)];
        for (int g = 0; g < kvHeads; g++) {
            for (int d = 0; d < qkDim; d++) k[g * qkDim + d] = ck.data()[ck.index(b, g, row, d)];
            for (int d = 0; d < vDim; d++) v[g * vDim + d] = cv.data()[cv.index(b, g, row, d)];
        }
    }

    /** Writes {@code k}, {@code v} at position {@code p}; a ring forgets the position it overwrites. */
    private void store(int b, int p) {
        for (int g = 0; g < kvHeads; g++) {
            System.arraycopy(k, g * qkDim, keys[b], keyOffset(p, g), qkDim);
            System.arraycopy(v, g * vDim, values[b], valueOffset(p, g), vDim);
        }
        length[b] = p + 1;
        if (ring && p - oldest[b] >= capacity) oldest[b] = p - capacity + 1;
    }

    /** The layer's projections of one token, once: Q, K, V (+ bias, + LoRA), then rotary at position p. */
    private void project(Tensor x, int b, int row, int p) {
        int in = layer.modelDim();
        int xBase = x.offset() + b * x.stride(0) + row * x.stride(1), xStride = x.stride(2);
        float[] xd = x.data();
        linear(xd, xBase, xStride, in, wq, bq, loraQ, q);
        linear(xd, xBase, xStride, in, wk, bk, loraK, k);
        linear(xd, xBase, xStride, in, wv, bv, loraV, v);
        if (layer.rotary() != null) {
            for (int h = 0; h < qHeads; h++) Rope.rotate(layer.rotary(), q, h * qkDim, 1, p);
            for (int g = 0; g < kvHeads; g++) Rope.rotate(layer.rotary(), k, g * qkDim, 1, p);
        }
    }

    /** {@code y[c] = sum_p x[p] W[p][c] + b[c] + (alpha/r) sum_r (x A)[r] B[r][c]}, float sums in natural order. */
    private void linear(float[] x, int xBase, int xStride, int in, float[] w, float[] bias, Adapter lora, float[] y) {
        int width = y.length;
        if (lora != null) {
            for (int r = 0; r < lora.rank; r++) {
                float acc = 0f;
                for (int i = 0; i < in; i++) acc += x[xBase + i * xStride] * lora.a[i * lora.rank + r];
                t[r] = acc;
            }
        }
        for (int c = 0; c < width; c++) {
            float acc = 0f;
            for (int i = 0; i < in; i++) acc += x[xBase + i * xStride] * w[i * width + c];
            if (bias != null) acc += bias[c];
            if (lora != null) {
                float low = 0f;
                for (int r = 0; r < lora.rank; r++) low += t[r] * lora.b[r * width + c];
                acc += lora.scaling * low;
            }
            y[c] = acc;
        }
    }

    /** {@code out[b, row, :] = o * Wo + bo}: heads concatenated in order. */
    private void outputProjection(Tensor out, int b, int row) {
        int width = layer.outputDim(), concat = qHeads * vDim;
        int yBase = out.offset() + b * out.stride(0) + row * out.stride(1), yStride = out.stride(2);
        for (int c = 0; c < width; c++) {
            float acc = 0f;
            for (int i = 0; i < concat; i++) acc += o[i] * wo[i * width + c];
            if (bo != null) acc += bo[c];
            out.data()[yBase + c * yStride] = acc;
        }
    }

    @Override
    public final int[] lengths() {
        return length.clone();
    }

    @Override
    public final void truncate(int[] newLengths) {
        // (conditions are tested before a message is built: a rollback allocates nothing)
        if (newLengths == null) require(false, "truncate needs per-sequence lengths");
        if (newLengths.length != batch) {
            require(false, "truncate lengths have %d entries but batch B = %d", newLengths.length, batch);
        }
        for (int b = 0; b < batch; b++) {
            if (newLengths[b] < 0 || newLengths[b] > length[b]) {
                require(false, "cannot roll sequence %d back to length %d: it holds %d tokens (rollback goes to "
                        + "[0, %d])", b, newLengths[b], length[b], length[b]);
            }
            int needed = spec.firstVisibleKey(newLengths[b]);
            if (newLengths[b] != length[b] && needed < oldest[b]) {
                require(false, "cannot roll sequence %d back to length %d: its window needs key %d but the ring "
                        + "buffer has evicted every key before %d", b, newLengths[b], needed, oldest[b]);
            }
        }
        for (int b = 0; b < batch; b++) {
            length[b] = newLengths[b];
            oldest[b] = Math.min(oldest[b], length[b]);
        }
    }

    @Override
    public final Tensor presentKey() {
        return present(keys, qkDim);
    }

    @Override
    public final Tensor presentValue() {
        return present(values, vDim);
    }

    private Tensor present(float[][] store, int dim) {
        int rows = 1;
        for (int b = 0; b < batch; b++) rows = Math.max(rows, length[b] - oldest[b]);
        Tensor out = Tensor.zeros(batch, kvHeads, rows, dim);
        for (int b = 0; b < batch; b++) {
            for (int j = oldest[b]; j < length[b]; j++) {
                for (int g = 0; g < kvHeads; g++) {
                    int from = ((ring ? j % capacity : j) * kvHeads + g) * dim;
                    System.arraycopy(store[b], from, out.data(), out.index(b, g, j - oldest[b], 0), dim);
                }
            }
        }
        return out;
    }

    private static float[] dense(Tensor m) {
        return m == null ? null : m.toArray();
    }

    /** A LoRA adapter as dense A (in, r), B (r, out) and its scaling alpha / r. */
    private record Adapter(float[] a, float[] b, int rank, float scaling) {
        static Adapter of(LayerWeights.Lora lora) {
            return lora == null ? null : new Adapter(lora.a().toArray(), lora.b().toArray(), lora.rank(),
                    (float) lora.scaling());
        }
    }
}
