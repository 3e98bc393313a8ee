package dev.attest.onnxruntime;

import ai.onnxruntime.OrtException;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;
import dev.attest.reference.Window;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.Chunk;
import dev.attest.reference.cache.Eviction;
import dev.attest.spi.CacheChecks;
import dev.attest.spi.KvCache;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static dev.attest.onnxruntime.GqaRunner.Slot;
import static dev.attest.reference.InvalidProblemException.require;

/**
 * A causal KV cache run by {@code com.microsoft.GroupQueryAttention}'s own past/present: sequence b's held keys and
 * values are the operator's last present_key/present_value for it, (Hkv, length_b, H) bytes in the cache's type
 * (H the head dim padded to a multiple of 8).
 *
 * <pre>
 *   append: validate everything (CacheChecks: the chunk, the output's type and shape, the capacity) ->
 *     per sequence b with n_b > 0 tokens, one batch-1 call: query and new K/V (1, n_b, ...), past_key/past_value
 *     = the held (1, Hkv, P_b, H) (none when P_b = 0), seqlens_k = P_b + n_b - 1, total = P_b + n_b,
 *     local_window_size = left + 1 of the spec's window -> the outputs and the present K/V kept aside ->
 *     commit: padding rows zero, the rows written, present K/V held, lengths advanced
 *   truncate: validate, then keep the first L_b rows of each head
 * </pre>
 * A batch-1 call per sequence because the operator takes a prompt with past (S > 1) only at batch 1; present outputs
 * always, because with past and without them the 1.29 CPU kernel reads past its new-key buffer. All-or-nothing:
 * nothing is kept until every call of the chunk has returned.
 */
final class GqaCache implements KvCache {
    private final GroupQueryAttentionBackend backend;
    private final CacheSpec spec;
    private final int batch, qHeads, kvHeads, dim, padded, window;
    private final ElementType type;
    private final float scale, softcap;
    private final int[] length;
    /** Per sequence: (Hkv, length_b, padded) elements of {@link #type}, native byte order. */
    private byte[][] keys, values;

    GqaCache(GroupQueryAttentionBackend backend, CacheSpec spec) {
        require(spec.eviction() == Eviction.NONE && spec.attention().causal() && !spec.isLayer() && !spec.isPaged(),
                "the GroupQueryAttention cache is a causal core cache without eviction or paging: %s", spec);
        this.backend = backend;
        this.spec = spec;
        AttentionSpec a = spec.attention();
        batch = a.batch();
        qHeads = a.qHeads();
        kvHeads = a.kvHeads();
        dim = a.qkHeadDim();
        require(a.vHeadDim() == dim, "GroupQueryAttention needs Dv = Dqk, the spec has Dqk = %d and Dv = %d", dim,
                a.vHeadDim());
        padded = GqaRunner.paddedHeadDim(dim);
        Window w = a.window();
        window = w == null || w.left() == Window.UNBOUNDED ? -1 : Math.addExact(w.left(), 1);
        type = spec.types().activations();
        require(spec.types().storage() == type, "the GroupQueryAttention cache stores keys in its activation type;"
                + " the spec asks for %s", spec.types());
        scale = (float) a.effectiveScale();
        softcap = (float) a.softcap();
        length = new int[batch];
        keys = new byte[batch][0];
        values = new byte[batch][0];
    }

    @Override
    public CacheSpec spec() {
        return spec;
    }

    @Override
    public void append(Chunk chunk, Tensor out) {
        // 1. every check before anything changes
        CacheChecks.requireAppend(spec, chunk, out, length);   // uneven and masked chunks: refused by CheckedBackend
        int[] n = chunk.lengths();
        // 2. one call per sequence with tokens; results kept aside
        int size = GqaRunner.bytes(type);
        byte[][] outputs = new byte[batch][], newKeys = keys.clone(), newValues = values.clone();
        synchronized (backend) {
            GqaRunner run = backend.sharedRunner();
            try {
                for (int b = 0; b < batch; b++) {
                    if (n[b] == 0) continue;
                    int past = length[b], rows = n[b];
                    ByteBuffer q = run.input(Slot.QUERY, type, (long) rows * qHeads * padded);
                    ByteBuffer k = run.input(Slot.KEY, type, (long) rows * kvHeads * padded);
                    ByteBuffer v = run.input(Slot.VALUE, type, (long) rows * kvHeads * padded);
                    Tensor cq = chunk.query(), ck = chunk.key(), cv = chunk.value();
                    for (int t = 0; t < rows; t++) {
                        int row = chunk.row(b, t), keyRow = chunk.keyRow(b, t);
                        for (int h = 0; h < qHeads; h++) {
                            for (int c = 0; c < dim; c++) {
                                GqaRunner.put(q, (t * qHeads + h) * padded + c, cq, cq.index(b, h, row, c));
                            }
                        }
                        for (int g = 0; g < kvHeads; g++) {
                            for (int c = 0; c < dim; c++) {
                                GqaRunner.put(k, (t * kvHeads + g) * padded + c, ck, ck.index(b, g, keyRow, c));
                                GqaRunner.put(v, (t * kvHeads + g) * padded + c, cv, cv.index(b, g, keyRow, c));
                            }
                        }
                    }
                    if (past > 0) {
                        run.input(Slot.PAST_KEY, type, (long) kvHeads * past * padded).put(0, keys[b]);
                        run.input(Slot.PAST_VALUE, type, (long) kvHeads * past * padded).put(0, values[b]);
                    }
                    GqaRunner.Call call = new GqaRunner.Call(type, qHeads, kvHeads, scale, softcap, window, past > 0,
                            false);
                    GqaRunner.Outputs o = run.run(call, 1, rows, padded, past, new int[]{past});
                    outputs[b] = new byte[rows * qHeads * padded * size];
                    o.output().get(0, outputs[b]);
                    int held = kvHeads * (past + rows) * padded * size;
                    if (o.presentLength() != past + rows) {
                        throw new IllegalStateException("present_key has " + o.presentLength() + " rows, not "
                                + (past + rows));
                    }
                    newKeys[b] = new byte[held];
                    newValues[b] = new byte[held];
                    o.presentKey().get(0, newKeys[b]);
                    o.presentValue().get(0, newValues[b]);
                }
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime failed appending " + chunk + " to " + spec + ": "
                        + e.getMessage(), e);
            }
        }
        // 3. commit
        out.fill(0f);
        for (int b = 0; b < batch; b++) {
            if (n[b] == 0) continue;
            ByteBuffer o = ByteBuffer.wrap(outputs[b]).order(ByteOrder.nativeOrder());
            for (int t = 0; t < n[b]; t++) {
                int row = chunk.row(b, t);
                for (int h = 0; h < qHeads; h++) {
                    for (int c = 0; c < dim; c++) {
                        GqaRunner.copy(o, (t * qHeads + h) * padded + c, out, out.index(b, h, row, c));
                    }
                }
            }
            length[b] += n[b];
        }
        keys = newKeys;
        values = newValues;
    }

    @Override
    public int[] lengths() {
        return length.clone();
    }

    @Override
    public void truncate(int[] newLengths) {
        CacheChecks.requireRollback(newLengths, length);
        int size = GqaRunner.bytes(type), row = padded * size;
        for (int b = 0; b < batch; b++) {
            int to = newLengths[b], from = length[b];
            if (to == from) continue;
            byte[] k = new byte[kvHeads * to * row], v = new byte[kvHeads * to * row];
            for (int g = 0; g < kvHeads; g++) {
                System.arraycopy(keys[b], g * from * row, k, g * to * row, to * row);
                System.arraycopy(values[b], g * from * row, v, g * to * row, to * row);
            }
            keys[b] = k;
            values[b] = v;
            length[b] = to;
        }
    }

    @Override
    public Tensor presentKey() {
        return present(keys);
    }

    @Override
    public Tensor presentValue() {
        return present(values);
    }

    /** (B, Hkv, max(1, longest), D): each sequence's rows in position order, zeros after (the padding dropped). */
    private Tensor present(byte[][] held) {
        int rows = 1;
        for (int l : length) rows = Math.max(rows, l);
        Tensor out = Tensor.zeros(type, batch, kvHeads, rows, dim);
        for (int b = 0; b < batch; b++) {
            ByteBuffer from = ByteBuffer.wrap(held[b]).order(ByteOrder.nativeOrder());
            for (int g = 0; g < kvHeads; g++) {
                for (int j = 0; j < length[b]; j++) {
                    for (int c = 0; c < dim; c++) {
                        GqaRunner.copy(from, (g * length[b] + j) * padded + c, out, out.index(b, g, j, c));
                    }
                }
            }
        }
        return out;
    }
}
