package dev.attest.backends.cache;

import dev.attest.backends.kernels.Rope;
import dev.attest.backends.kernels.TypedRows;
import dev.attest.reference.Descale;
import dev.attest.reference.ElementType;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.Mask;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.CacheTypes;
import dev.attest.reference.cache.Chunk;
import dev.attest.reference.cache.Eviction;
import dev.attest.spi.KvCache;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * The storage and bookkeeping every CPU backend's KV cache shares; a backend supplies only
 * {@link #attendToken}, the attention of one new query over the cached keys.
 *
 * <pre>
 *   per sequence b: keys and values in slots (Hkv, D) of a KvStore: one array per sequence, or blocks of a pool
 *                   through a block table (a paged spec)     slot = position (NONE) or position % capacity (ring)
 *                   held positions [oldest[b], length[b])
 *   append: validate everything -> grow storage (capacity doubling, amortised) ->
 *     a layer or a ring, per token in order: (layer: project x once, rotate q and k at the absolute position)
 *                                            -> store k, v -> attend -> write out
 *     otherwise: store the chunk's new keys and values, then attend each query at position P_b + t
 *   a query at position p attends held keys [max(first visible, oldest), last visible] (CacheSpec), the chunk's
 *   mask (if any) as an additive bias over them; a query that sees no key writes zeros
 * </pre>
 * Keys and values are stored in the cache's storage type ({@link CacheTypes}: fp32, fp16, bf16, or fp8 under the
 * descale of their (batch, kv head), quantised as the contract says); chunks and outputs are in its activation type.
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
    protected final CacheTypes types;
    /** The slots of every sequence, in the storage type (fp8: bits only, descale applied here). */
    private final KvStore store;

    // the layer, as dense row-major copies made once at open (null for a core cache)
    private final LayerSpec layer;
    private final float[] wq, bq, wk, bk, wv, bv, wo, bo;
    private final Adapter loraQ, loraK, loraV;

    // per-token scratch, allocated once: a decode step allocates nothing
    private final float[] q, k, v, o, t;
    /** A masked chunk's bias over one query's visible keys, Hq rows; grown by doubling. */
    private float[] bias = new float[0];
    private final boolean[] maskedHead;

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
        types = spec.types();
        store = KvStore.of(spec, ring ? capacity : Math.min(capacity, INITIAL_SLOTS));
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
        maskedHead = new boolean[qHeads];
    }

    /**
     * Attention of the query {@code q} (Hq x Dqk, head-major) at absolute position {@code p} of sequence {@code b}
     * over its cached keys {@code [first, last]} (all held, {@code first <= last}: {@link #keyOffset},
     * {@link #valueOffset}); writes {@code o} (Hq x Dv, head-major). {@code bias} is {@code null}, or the chunk
     * mask's additive bias of head h and key j at {@code bias[h * (last - first + 1) + j - first]}, added after
     * softcap ({@code -inf} hides a key; a head whose every key is hidden is zeroed afterwards, whatever it wrote).
     */
    protected abstract void attendToken(int b, int p, int first, int last, float[] bias, float[] q, float[] o);

    @Override
    public final CacheSpec spec() {
        return spec;
    }

    /** Element offset of the key of position {@code j} (held) of sequence {@code b}, kv head {@code g}. */
    protected final int keyOffset(int b, int j, int g) {
        return store.keyOffset(b, slot(j), g);
    }

    protected final int valueOffset(int b, int j, int g) {
        return store.valueOffset(b, slot(j), g);
    }

    private int slot(int j) {
        return ring ? j % capacity : j;
    }

    /**
     * How many of the held positions {@code j .. last} of sequence b lie in consecutive slots from j's (a ring wraps
     * at its capacity, a paged store at its block's end): a run a kernel may read in place as one block of
     * {@code run * Hkv * D} elements.
     */
    protected final int contiguousSlots(int b, int j, int last) {
        int most = ring ? Math.min(last - j + 1, capacity - j % capacity) : last - j + 1;
        return store.run(b, slot(j), most);
    }

    /** The keys of sequence b as fp32 rows; only for an fp32-stored cache (typed readers use {@link #keyStore}). */
    protected final float[] keys(int b) {
        return store.keys(b).data();
    }

    protected final float[] values(int b) {
        return store.values(b).data();
    }

    /**
     * The keys of sequence b in the storage type: a flat tensor indexed by {@link #keyOffset} (fp8 without descale;
     * a paged store's pool, shared by the batch).
     */
    protected final Tensor keyStore(int b) {
        return store.keys(b);
    }

    protected final Tensor valueStore(int b) {
        return store.values(b);
    }

    /** The key descale of (sequence b, kv head g): 1 unless the cache stores fp8. */
    protected final float keyFactor(int b, int g) {
        return types.keyFactor(b, g);
    }

    protected final float valueFactor(int b, int g) {
        return types.valueFactor(b, g);
    }

    /** Key d of position j (held), kv head g, widened to fp32: the element-at-a-time reader of the plain caches. */
    protected final float key(int b, int j, int g, int d) {
        return element(store.keys(b), keyOffset(b, j, g) + d, keyFactor(b, g));
    }

    protected final float value(int b, int j, int g, int d) {
        return element(store.values(b), valueOffset(b, j, g) + d, valueFactor(b, g));
    }

    private static float element(Tensor store, int i, float factor) {
        return store.type() == ElementType.FP32 ? store.data()[i] : store.type().decode(store.bits(i)) * factor;
    }

    @Override
    public final void append(Chunk chunk, Tensor out) {
        // 1. checks, all before the first write (allocation-free when they pass: a decode step allocates nothing)
        dev.attest.spi.CacheChecks.requireAppend(spec, chunk, out, length);
        int[] n = chunk.lengths(), nk = chunk.keyLengths();
        // 2. amortised growth (not observable)
        for (int b = 0; b < batch; b++) reserve(b, length[b] + nk[b]);
        // 3. store and attend, then write
        zero(out);
        for (int b = 0; b < batch; b++) {
            // the chunk's mask for this sequence, once: its queries' rows over the keys it holds after the chunk
            // (none to make when it has no query, or no key for one to see)
            int held = length[b] + nk[b];
            Mask mask = chunk.mask() == null || n[b] == 0 || held == 0 ? null : chunk.sequenceMask(b, held, qHeads);
            if (layer != null || ring) {
                for (int i = 0; i < n[b]; i++) {                  // one key per query: store it, then attend
                    int row = chunk.row(b, i), p = length[b];
                    if (layer != null) project(chunk.input(), b, row, p);
                    else {
                        gatherQuery(chunk, b, row);
                        gatherKeyValue(chunk, b, chunk.keyRow(b, i));
                    }
                    store(b, p);
                    attend(mask, b, i, p);
                    write(out, b, row);
                }
                continue;
            }
            int past = length[b];
            for (int i = 0; i < nk[b]; i++) {                     // the new keys first: a query may see them all
                gatherKeyValue(chunk, b, chunk.keyRow(b, i));
                store(b, past + i);
            }
            for (int i = 0; i < n[b]; i++) {
                int row = chunk.row(b, i);
                gatherQuery(chunk, b, row);
                attend(mask, b, i, past + i);
                write(out, b, row);
            }
        }
    }

    /**
     * Query t of sequence b, in {@code q}, at position p attends what it may see; the result is in {@code o}.
     * {@code mask}: null, or the chunk's mask for sequence b ({@link Chunk#sequenceMask}).
     */
    private void attend(Mask mask, int b, int t, int p) {
        int first = Math.max(spec.firstVisibleKey(p), oldest[b]), last = spec.lastVisibleKey(p, length[b]);
        if (first > last) {
            Arrays.fill(o, 0f);                                  // no key to see: the row is zero
            return;
        }
        float[] rowBias = mask == null ? null : bias(mask, t, first, last);
        attendToken(b, p, first, last, rowBias, q, o);
        if (rowBias != null) {
            for (int h = 0; h < qHeads; h++) if (maskedHead[h]) Arrays.fill(o, h * vDim, (h + 1) * vDim, 0f);
        }
    }

    /**
     * Query t's row of a sequence's mask (1, Hm, nq, held) over keys [first, last], additive (a false boolean is
     * -inf); marks the heads it hides wholly.
     */
    private float[] bias(Mask mask, int t, int first, int last) {
        int count = last - first + 1;
        if (bias.length < qHeads * count) bias = new float[Math.max(qHeads * count, 2 * bias.length)];
        int[] shape = mask.shape();
        int heads = shape[1], rows = shape[2], held = shape[3];
        for (int h = 0; h < qHeads; h++) {
            int base = ((heads == 1 ? 0 : h) * rows + t) * held;
            boolean hidden = true;
            for (int j = first; j <= last; j++) {
                float value = mask instanceof Mask.Keep keep ? (keep.keep()[base + j] ? 0f : Float.NEGATIVE_INFINITY)
                        : ((Mask.Bias) mask).bias()[base + j];
                bias[h * count + j - first] = value;
                hidden &= value == Float.NEGATIVE_INFINITY;
            }
            maskedHead[h] = hidden;
        }
        return bias;
    }

    /** Writes {@code o} (or the layer's output projection of it) to row {@code row} of sequence b's output. */
    private void write(Tensor out, int b, int row) {
        if (layer != null) outputProjection(out, b, row);
        else for (int h = 0; h < qHeads; h++) {
            TypedRows.store(o, h * vDim, vDim, out, out.index(b, h, row, 0), out.stride(3));
        }
    }

    /** Zeroes every element of the output view (padding rows stay zero). */
    private static void zero(Tensor out) {
        if (out.type() != ElementType.FP32) {
            out.fill(0f);
            return;
        }
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
        store.reserve(b, ring ? Math.min(needed, capacity) : needed);
    }

    /** Copies query row {@code row} of the chunk's Q into {@code q}. */
    private void gatherQuery(Chunk chunk, int b, int row) {
        Tensor cq = chunk.query();
        for (int h = 0; h < qHeads; h++) TypedRows.load(cq, cq.index(b, h, row, 0), cq.stride(3), qkDim, 1f, q, h * qkDim, 1);
    }

    /** Copies key row {@code row} of the chunk's K and V into {@code k}, {@code v}. */
    private void gatherKeyValue(Chunk chunk, int b, int row) {
        Tensor ck = chunk.key(), cv = chunk.value();
        for (int g = 0; g < kvHeads; g++) {
            TypedRows.load(ck, ck.index(b, g, row, 0), ck.stride(3), qkDim, 1f, k, g * qkDim, 1);
            TypedRows.load(cv, cv.index(b, g, row, 0), cv.stride(3), vDim, 1f, v, g * vDim, 1);
        }
    }

    /** Writes {@code k}, {@code v} at position {@code p}; a ring forgets the position it overwrites. */
    private void store(int b, int p) {
        for (int g = 0; g < kvHeads; g++) {
            write(k, g * qkDim, qkDim, store.keys(b), keyOffset(b, p, g), keyFactor(b, g));
            write(v, g * vDim, vDim, store.values(b), valueOffset(b, p, g), valueFactor(b, g));
        }
        length[b] = p + 1;
        if (ring && p - oldest[b] >= capacity) oldest[b] = p - capacity + 1;
    }

    /** Stores {@code n} values as the contract quantises them ({@link CacheTypes}): a cast, or fp8 saturating. */
    private void write(float[] src, int srcOff, int n, Tensor store, int at, float factor) {
        if (!store.type().isFp8()) {
            TypedRows.store(src, srcOff, n, store, at, 1);
            return;
        }
        byte[] bits = store.bits8();
        for (int i = 0; i < n; i++) bits[at + i] = (byte) types.quantize(src[srcOff + i], factor);
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
        dev.attest.spi.CacheChecks.requireRollback(newLengths, length);
        for (int b = 0; b < batch; b++) {
            int needed = spec.firstVisibleKey(newLengths[b]);
            if (newLengths[b] != length[b] && needed < oldest[b]) {
                require(false, "cannot roll sequence %d back to length %d: its window needs key %d but the ring "
                        + "buffer has evicted every key before %d", b, newLengths[b], needed, oldest[b]);
            }
        }
        for (int b = 0; b < batch; b++) {
            length[b] = newLengths[b];
            oldest[b] = Math.min(oldest[b], length[b]);
            if (!ring) store.release(b, length[b]);
        }
    }

    @Override
    public final Tensor presentKey() {
        return present(true, qkDim, types.keyDescale());
    }

    @Override
    public final Tensor presentValue() {
        return present(false, vDim, types.valueDescale());
    }

    /** The held rows in the storage type, bits as stored (an fp8 tensor carries the cache's descale). */
    private Tensor present(boolean keys, int dim, Descale descale) {
        int rows = 1;
        for (int b = 0; b < batch; b++) rows = Math.max(rows, length[b] - oldest[b]);
        ElementType type = types.storage();
        Tensor out = type.isFp8() ? Tensor.zeros(type, descale, batch, kvHeads, rows, dim)
                : Tensor.zeros(type, batch, kvHeads, rows, dim);
        for (int b = 0; b < batch; b++) {
            for (int j = oldest[b]; j < length[b]; j++) {
                for (int g = 0; g < kvHeads; g++) {
                    Tensor from = keys ? store.keys(b) : store.values(b);
                    int at = keys ? keyOffset(b, j, g) : valueOffset(b, j, g);
                    int to = out.index(b, g, j - oldest[b], 0);
                    switch (type) {
                        case FP32 -> System.arraycopy(from.data(), at, out.data(), to, dim);
                        case FP16, BF16 -> System.arraycopy(from.bits16(), at, out.bits16(), to, dim);
                        case FP8_E4M3, FP8_E5M2 -> System.arraycopy(from.bits8(), at, out.bits8(), to, dim);
                    }
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
