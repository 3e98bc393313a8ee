package dev.attest.onnxruntime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.attest.onnxruntime.OnnxModel.Attribute;
import dev.attest.onnxruntime.OrtStaging.Slot;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.ElementType;
import dev.attest.reference.Mask;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.Chunk;
import dev.attest.spi.CacheChecks;
import dev.attest.spi.KvCache;

import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * ONNX Runtime's {@code Attention} (opset 23) as a KV cache, through its own past/present inputs: each sequence of a
 * chunk is one batch-1 call, {@code past_key}/{@code past_value} = the keys the sequence holds, K and V = its new
 * keys, and the {@code present_key}/{@code present_value} ONNX Runtime returns become what it holds. ONNX's past has
 * one length for the whole batch, so a ragged batch (each sequence its own length, as a serving engine holds it)
 * is one call per sequence.
 *
 * <pre>
 *   causal, no window       is_causal = 1: ONNX aligns the frontier at the past length, query t sees j <= P + t
 *   a window (opset 23 has none), or a causal frontier past the last key (a query-only step)
 *                           folded with the chunk's mask into one attn_mask over the keys held after the step
 *   the chunk's mask        attn_mask (1, Hm, nq, held): its columns are absolute key positions
 *   a sequence without past plain K and V (no past inputs: ONNX Runtime has no zero-length past); present = K
 *   a query-only step       K = V = the held keys, no past (the queries see every held key the rules allow)
 * </pre>
 * Keys are held in the cache's activation type (fp32 or fp16, as ONNX's T). All checks run before the first call; a
 * failing call (ONNX Runtime refusing) leaves the sequences it had not reached untouched, but those it had are
 * advanced, so an ONNX Runtime error is a failure of the backend, not a refusal.
 */
final class OnnxAttentionCache implements KvCache {
    private final OnnxRuntimeBackend backend;
    private final CacheSpec spec;
    private final AttentionSpec a;
    private final ElementType type;
    private final int[] length;
    /** Per sequence, the held keys and values (1, Hkv, length, D), null while it holds none. */
    private final Tensor[] keys, values;
    private final OrtStaging staging = new OrtStaging();

    OnnxAttentionCache(OnnxRuntimeBackend backend, CacheSpec spec) {
        this.backend = backend;
        this.spec = spec;
        this.a = spec.attention();
        this.type = spec.types().activations();
        length = new int[a.batch()];
        keys = new Tensor[a.batch()];
        values = new Tensor[a.batch()];
    }

    @Override
    public CacheSpec spec() {
        return spec;
    }

    @Override
    public void append(Chunk chunk, Tensor out) {
        CacheChecks.requireAppend(spec, chunk, out, length);
        int[] nq = chunk.lengths(), nk = chunk.keyLengths();
        out.fill(0f);
        try {
            for (int b = 0; b < a.batch(); b++) step(chunk, out, b, nq[b], nk[b]);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on a cache step of " + chunk + ": " + e.getMessage(), e);
        }
    }

    /** Sequence b's part of the chunk: its queries' outputs into {@code out}, its new keys held. */
    private void step(Chunk chunk, Tensor out, int b, int queries, int newKeys) throws OrtException {
        int past = length[b], held = past + newKeys;
        Tensor k = newKeys == 0 ? null : rows(chunk.key(), b, chunk.keyRow(b, 0), newKeys);
        Tensor v = newKeys == 0 ? null : rows(chunk.value(), b, chunk.keyRow(b, 0), newKeys);
        if (queries > 0 && held > 0) {
            Tensor q = rows(chunk.query(), b, chunk.row(b, 0), queries);
            boolean queryOnly = newKeys == 0, withPast = past > 0 && !queryOnly;
            // ONNX's causal frontier is at the past length when past is given, at 0 otherwise (a query-only step's
            // keys are all in the past of its queries): is_causal only where that is the cache's frontier
            boolean causalAttribute = a.causal() && a.window() == null && !queryOnly;
            Mask mask = mask(chunk, b, past, held, queries, causalAttribute);
            List<Attribute> attributes = new ArrayList<>();
            if (causalAttribute) attributes.add(Attribute.ofInt("is_causal", 1));
            attributes.add(Attribute.ofFloat("scale", (float) a.effectiveScale()));
            if (a.softcap() != 0) attributes.add(Attribute.ofFloat("softcap", (float) a.softcap()));
            OrtSession session = backend.cacheSession(attributes, type, mask, withPast);
            OrtEnvironment env = OrtEnv.ENV;
            Map<String, OnnxTensor> inputs = new HashMap<>();
            try {
                inputs.put("Q", staging.input(env, Slot.Q, q));
                inputs.put("K", staging.input(env, Slot.K, queryOnly ? keys[b] : k));
                inputs.put("V", staging.input(env, Slot.V, queryOnly ? values[b] : v));
                if (withPast) {
                    inputs.put("past_key", staging.input(env, Slot.PAST_KEY, keys[b]));
                    inputs.put("past_value", staging.input(env, Slot.PAST_VALUE, values[b]));
                }
                if (mask != null) inputs.put("attn_mask", mask instanceof Mask.Keep keep
                        ? staging.boolMask(env, keep.keep(), OrtStaging.longs(mask.shape()))
                        : staging.additiveMask(env, ((Mask.Bias) mask).bias(), OrtStaging.longs(mask.shape()), type));
                try (OrtSession.Result result = session.run(inputs)) {
                    Tensor y = tensor(result.get("Y").orElseThrow(), a.qHeads(), queries, a.vHeadDim());
                    for (int h = 0; h < a.qHeads(); h++) {
                        for (int t = 0; t < queries; t++) {
                            for (int d = 0; d < a.vHeadDim(); d++) {
                                out.setBits(y.bits(0, h, t, d), b, h, chunk.row(b, t), d);
                            }
                        }
                    }
                    if (withPast) {
                        keys[b] = tensor(result.get("present_key").orElseThrow(), a.kvHeads(), held, a.qkHeadDim());
                        values[b] = tensor(result.get("present_value").orElseThrow(), a.kvHeads(), held,
                                a.vHeadDim());
                        length[b] = held;
                        return;
                    }
                }
            } finally {
                for (OnnxTensor t : inputs.values()) t.close();
            }
        }
        if (newKeys > 0) {                                  // no past given to ONNX Runtime: present = concat(held, K)
            keys[b] = concat(keys[b], k);
            values[b] = concat(values[b], v);
            length[b] = held;
        }
    }

    /**
     * attn_mask for sequence b's queries over its {@code held} keys: the chunk's mask, and whatever of the cache's
     * rules is not left to is_causal (the window; the causal frontier when is_causal is not used). Null when
     * nothing is masked beyond is_causal.
     */
    private Mask mask(Chunk chunk, int b, int past, int held, int queries, boolean causalAttribute) {
        Mask own = chunk.sequenceMask(b, held, a.qHeads());
        boolean fold = !causalAttribute && (a.causal() || a.window() != null);
        if (!fold) return own;
        int heads = own == null ? 1 : own.shape()[1], n = heads * queries * held;
        boolean[] keep = new boolean[n];
        float[] bias = own instanceof Mask.Bias ? new float[n] : null;
        for (int h = 0, at = 0; h < heads; h++) {
            for (int t = 0; t < queries; t++) {
                int p = past + t, first = spec.firstVisibleKey(p), last = spec.lastVisibleKey(p, held);
                for (int j = 0; j < held; j++, at++) {
                    boolean visible = first <= j && j <= last;           // the cache's rule: causal and window
                    if (own instanceof Mask.Keep k) visible &= k.keep()[at];
                    if (bias != null) {
                        float x = ((Mask.Bias) own).bias()[at];
                        bias[at] = visible ? x : Float.NEGATIVE_INFINITY;
                    }
                    keep[at] = visible;
                }
            }
        }
        int[] shape = {1, heads, queries, held};
        return bias != null ? new Mask.Bias(bias, shape) : new Mask.Keep(keep, shape);
    }

    /** Rows {@code [from, from + n)} of sequence b of a (B, H, S, D) chunk tensor, as a dense (1, H, n, D) copy. */
    private static Tensor rows(Tensor t, int b, int from, int n) {
        return t.view(t.index(b, 0, from, 0), new int[]{1, t.dim(1), n, t.dim(3)},
                new int[]{0, t.stride(1), t.stride(2), t.stride(3)}).copy();
    }

    /** {@code held} then {@code more} along the sequence axis ({@code more} alone when nothing is held). */
    private static Tensor concat(Tensor held, Tensor more) {
        if (held == null) return more;
        int rows = held.dim(2) + more.dim(2);
        Tensor out = Tensor.zeros(held.type(), 1, held.dim(1), rows, held.dim(3));
        out.view(0, held.shape(), new int[]{out.stride(0), out.stride(1), out.stride(2), out.stride(3)}).copyFrom(held);
        out.view(out.index(0, 0, held.dim(2), 0), more.shape(),
                new int[]{out.stride(0), out.stride(1), out.stride(2), out.stride(3)}).copyFrom(more);
        return out;
    }

    /** An ONNX Runtime output (1, H, S, D) of the cache's type as a tensor, bits as ONNX Runtime wrote them. */
    private Tensor tensor(OnnxValue value, int heads, int rows, int dim) {
        OnnxTensor t = (OnnxTensor) value;
        if (type == ElementType.FP32) {
            FloatBuffer f = t.getFloatBuffer();
            float[] data = new float[f.remaining()];
            f.get(data);
            return Tensor.of(data, 1, heads, rows, dim);
        }
        ShortBuffer s = t.getShortBuffer();
        short[] bits = new short[s.remaining()];
        s.get(bits);
        return Tensor.ofBits(bits, type, 1, heads, rows, dim);
    }

    @Override
    public int[] lengths() {
        return length.clone();
    }

    @Override
    public void truncate(int[] newLengths) {
        CacheChecks.requireRollback(newLengths, length);
        for (int b = 0; b < a.batch(); b++) {
            if (newLengths[b] == length[b]) continue;
            length[b] = newLengths[b];
            keys[b] = length[b] == 0 ? null : firstRows(keys[b], length[b]);
            values[b] = length[b] == 0 ? null : firstRows(values[b], length[b]);
        }
    }

    private static Tensor firstRows(Tensor t, int n) {
        return t.view(t.offset(), new int[]{1, t.dim(1), n, t.dim(3)}, t.strides()).copy();
    }

    @Override
    public Tensor presentKey() {
        return present(keys, a.qkHeadDim());
    }

    @Override
    public Tensor presentValue() {
        return present(values, a.vHeadDim());
    }

    /** (B, Hkv, max(1, longest), D): each sequence's held rows in position order, zeros after. */
    private Tensor present(Tensor[] held, int dim) {
        int rows = 1;
        for (int l : length) rows = Math.max(rows, l);
        Tensor out = Tensor.zeros(type, a.batch(), a.kvHeads(), rows, dim);
        for (int b = 0; b < a.batch(); b++) {
            if (length[b] == 0) continue;
            out.view(out.index(b, 0, 0, 0), held[b].shape(), new int[]{0, out.stride(1), out.stride(2), out.stride(3)})
                    .copyFrom(held[b]);
        }
        return out;
    }
}
