package dev.attest.onnxruntime;

import ai.onnxruntime.OrtException;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.ElementType;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.reference.Window;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.spi.Capabilities;
import dev.attest.spi.CheckedBackend;
import dev.attest.spi.Feature;
import dev.attest.spi.KvCache;
import dev.attest.spi.TensorTypes;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static dev.attest.onnxruntime.GqaRunner.Slot;

/**
 * ONNX Runtime 1.29's CPU contrib operator {@code com.microsoft.GroupQueryAttention} as a backend under test
 * (docs/notes/ort-group-query-attention.md says what the kernel computes; docs/serving-kv.md, "ONNX Runtime's
 * GroupQueryAttention peer", what the kit finds). The operator is always causal and bottom-right aligned: new token
 * k of a batch row holding {@code past} keys before it sits at position {@code past + k} and sees the keys
 * {@code [max(0, past + k + 1 - W), past + k]} (W = local_window_size, -1 for none; seqlens_k = past + S - 1).
 * Every problem it is given maps onto that rule, with no mask input:
 *
 * <pre>
 *   row i of sequence b sees keys [lo, hi]: hi = min(L_b - 1, p + right), lo = max(0, p - left), p = i + offset_b
 *     (right = 0 when causal; L_b its key length; an unbounded window side, or no window, drops its term)
 *   own rows     hi = p + right with lo = hi - W + 1 (W = left + right + 1), or lo = 0: the operator's own causal
 *                frontier and window do the masking. Consecutive such rows form a run, given the keys from its
 *                first row's lo on: the run's rows are the new tokens (new K/V: the keys at their frontiers), the
 *                keys before the first frontier are past_key/past_value. A run without past is GQA's first
 *                prompt (runs of equal length from several sequences share one call, batch B); one with past is
 *                a chunked prefill (batch 1, the operator's rule)
 *   other rows   a left bound the window cannot give (a query past the last key with a finite left extent):
 *                a decode step (S = 1) over exactly the keys [lo, hi], past = the first hi - lo of them; every
 *                decode step of a problem (one-row runs too: every row of a non-causal problem without a
 *                window) shares one call, one batch row each, ragged seqlens_k
 *   empty rows   hi < lo (an offset below 0, key length 0, a window past the keys): zero without a call; the
 *                operator cannot say "no key" (seqlens_k + 1 >= 1)
 *   head dims    Q, K and V padded with zeros to a multiple of 8 (the CPU kernel's requirement), so the scale is
 *                passed explicitly, always (the spec's effective scale: 0 would mean 1/sqrt(padded dim))
 *   layout       Q, K and V copied into BSNH, the operator's layout, the output copied back into any layout
 * </pre>
 *
 * So CAUSAL with any alignment (per sequence too: KEY_LENGTHS is GQA's ragged seqlens_k), non-causal attention (a
 * decode step per query row over all its keys), SLIDING_WINDOW (causal or not; local_window_size) and KEY_PADDING
 * (seqlens_k) are the operator's own rules applied to the right keys, never a folded mask. Not declared: a value
 * head dim other than the key's (the operator takes equal hidden sizes), masks (attention_bias is in Q's type, so
 * an fp16 call rounds a bias to fp16 beyond the tolerance model, and a row whose every key has a -inf bias is NaN
 * on the naive path: GqaFindingsTest), boolean masks, bf16 (no CPU kernel), the layer, paged or packed inputs, and
 * of the KV cache: uneven chunks, chunk masks, a non-causal cache, ring eviction (sliding_window_cache was not
 * tried).
 *
 * <p>KV cache ({@link GqaCache}): each sequence of a chunk is its own batch-1 call with its held keys as past_key
 * and past_value (exactly its length), present_key/present_value always requested and kept as the new held keys.
 */
public final class GroupQueryAttentionBackend extends CheckedBackend {
    /** What the operator expresses: see the class comment. */
    public static final Capabilities CAPABILITIES = new Capabilities(EnumSet.of(Feature.GROUPED_QUERY_HEADS,
            Feature.CUSTOM_SCALE, Feature.SOFTCAP, Feature.KEY_PADDING, Feature.CAUSAL, Feature.PER_SEQUENCE_OFFSETS,
            Feature.SLIDING_WINDOW, Feature.STRIDED_LAYOUT, Feature.KV_CACHE), Precision.FP32,
            // ordered: the kit's edge cases use the first combination
            new LinkedHashSet<>(List.of(TensorTypes.FP32, TensorTypes.uniform(ElementType.FP16))));

    private final int threads;
    private GqaRunner runner;

    /** One intra-op thread (deterministic and cheap on a shared machine). */
    public GroupQueryAttentionBackend() {
        this(1);
    }

    /** {@code threads} intra-op threads (0 = ONNX Runtime's default). */
    public GroupQueryAttentionBackend(int threads) {
        super("onnxruntime-gqa", "ONNX Runtime " + OrtEnv.VERSION + " CPU com.microsoft.GroupQueryAttention, fp32 and"
                + " fp16" + (threads > 0 ? ", " + threads + " thread" + (threads > 1 ? "s" : "") : ""), CAPABILITIES);
        this.threads = threads;
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.ofNullable(OrtEnv.FAILURE);
    }

    private GqaRunner runner() {
        if (OrtEnv.FAILURE != null) throw new IllegalStateException(OrtEnv.FAILURE);
        if (runner == null) runner = new GqaRunner(OrtEnv.ENV, threads);
        return runner;
    }

    /**
     * Rows of one sequence given to the operator as one batch row: {@code rows} query rows from {@code row}, over
     * source keys {@code [start, start + past + rows)}: the first {@code past} as past_key/past_value, the rest as
     * the new keys.
     */
    private record Entry(int b, int row, int rows, int start, int past) {
    }

    @Override
    protected synchronized void computeAttention(AttentionProblem problem, Tensor out) {
        GqaRunner run = runner();
        AttentionSpec s = problem.spec();
        int sq = s.qLength();
        int[] keyLengths = problem.keyLengths();
        Window w = s.window();
        final long unbounded = Long.MAX_VALUE;
        long right = s.causal() ? 0 : w != null && w.right() != Window.UNBOUNDED ? w.right() : unbounded;
        long left = w != null && w.left() != Window.UNBOUNDED ? w.left() : -1;
        int window = left >= 0 && right != unbounded ? Math.toIntExact(left + right + 1) : -1;
        boolean positioned = s.causal() || w != null;

        List<Entry> decode = new ArrayList<>();
        Map<Integer, List<Entry>> prompts = new TreeMap<>();
        List<Entry> chunks = new ArrayList<>();
        for (int b = 0; b < s.batch(); b++) {
            int length = keyLengths == null ? s.kvLength() : keyLengths[b];
            int offset = positioned ? problem.positionOffset(b) : 0;
            int runRow = -1, runLo = 0, runHi = 0;
            for (int i = 0; i <= sq; i++) {
                long hi = -1, lo = 0;
                boolean own = false;
                if (i < sq) {
                    long p = (long) i + offset;
                    hi = length - 1L;
                    boolean capped = true;
                    if (right != unbounded && p + right <= hi) {
                        hi = p + right;
                        capped = false;
                    }
                    lo = left >= 0 ? Math.max(0, p - left) : 0;
                    // the operator's own frontier and window give [lo, hi]: no left bound, or W keys up to p + right
                    own = lo == 0 || (window >= 0 && !capped);
                }
                boolean empty = hi < lo;
                if (!empty && own && runRow >= 0 && hi == runHi + (i - runRow)) continue;
                if (runRow >= 0) {                                       // close the run of rows [runRow, i)
                    Entry e = new Entry(b, runRow, i - runRow, runLo, runHi - runLo);
                    if (e.rows() == 1) decode.add(e);
                    else if (e.past() == 0) prompts.computeIfAbsent(e.rows(), n -> new ArrayList<>()).add(e);
                    else chunks.add(e);
                    runRow = -1;
                }
                if (i == sq) break;
                if (empty) {
                    zeroRow(out, b, i);
                } else if (own) {
                    runRow = i;
                    runLo = (int) lo;
                    runHi = (int) hi;
                } else {                                                 // a left bound the window cannot give
                    decode.add(new Entry(b, i, 1, (int) lo, (int) (hi - lo)));
                }
            }
        }
        try {
            for (List<Entry> group : prompts.values()) call(run, problem, out, group, window);
            for (Entry chunk : chunks) call(run, problem, out, List.of(chunk), window);
            if (!decode.isEmpty()) call(run, problem, out, decode, window);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on " + problem + ": " + e.getMessage(), e);
        }
    }

    private static void zeroRow(Tensor out, int b, int i) {
        for (int h = 0; h < out.dim(1); h++) for (int d = 0; d < out.dim(3); d++) out.setBits(0, b, h, i, d);
    }

    /** One operator call: {@code entries} as its batch rows, each with the same number of new tokens. */
    private void call(GqaRunner run, AttentionProblem problem, Tensor out, List<Entry> entries, int window)
            throws OrtException {
        AttentionSpec s = problem.spec();
        ElementType type = out.type();                    // declared combinations are uniform
        int n = entries.size(), rows = entries.getFirst().rows(), hq = s.qHeads(), hkv = s.kvHeads();
        int d = s.qkHeadDim(), dp = GqaRunner.paddedHeadDim(d);
        int pastLength = 0;
        int[] past = new int[n];
        for (int e = 0; e < n; e++) {
            past[e] = entries.get(e).past();
            pastLength = Math.max(pastLength, past[e]);
        }
        Tensor q = problem.query(), k = problem.key(), v = problem.value();
        ByteBuffer qb = run.input(Slot.QUERY, type, (long) n * rows * hq * dp);
        ByteBuffer kb = run.input(Slot.KEY, type, (long) n * rows * hkv * dp);
        ByteBuffer vb = run.input(Slot.VALUE, type, (long) n * rows * hkv * dp);
        ByteBuffer pk = pastLength > 0 ? run.input(Slot.PAST_KEY, type, (long) n * hkv * pastLength * dp) : null;
        ByteBuffer pv = pastLength > 0 ? run.input(Slot.PAST_VALUE, type, (long) n * hkv * pastLength * dp) : null;
        for (int e = 0; e < n; e++) {
            Entry en = entries.get(e);
            int b = en.b();
            for (int t = 0; t < rows; t++) {
                for (int h = 0; h < hq; h++) {
                    int base = ((e * rows + t) * hq + h) * dp;
                    for (int c = 0; c < d; c++) GqaRunner.put(qb, base + c, q, q.index(b, h, en.row() + t, c));
                }
                int src = en.start() + en.past() + t;
                for (int g = 0; g < hkv; g++) {
                    int base = ((e * rows + t) * hkv + g) * dp;
                    for (int c = 0; c < d; c++) {
                        GqaRunner.put(kb, base + c, k, k.index(b, g, src, c));
                        GqaRunner.put(vb, base + c, v, v.index(b, g, src, c));
                    }
                }
            }
            for (int g = 0; g < hkv; g++) {
                for (int r = 0; r < en.past(); r++) {
                    int base = ((e * hkv + g) * pastLength + r) * dp;
                    for (int c = 0; c < d; c++) {
                        GqaRunner.put(pk, base + c, k, k.index(b, g, en.start() + r, c));
                        GqaRunner.put(pv, base + c, v, v.index(b, g, en.start() + r, c));
                    }
                }
            }
        }
        GqaRunner.Call call = new GqaRunner.Call(type, hq, hkv, (float) s.effectiveScale(), (float) s.softcap(),
                window, pastLength > 0, false);
        GqaRunner.Outputs o = run.run(call, n, rows, dp, pastLength, past);
        for (int e = 0; e < n; e++) {
            Entry en = entries.get(e);
            for (int t = 0; t < rows; t++) {
                for (int h = 0; h < hq; h++) {
                    int base = ((e * rows + t) * hq + h) * dp;
                    for (int c = 0; c < s.vHeadDim(); c++) {
                        GqaRunner.copy(o.output(), base + c, out, out.index(en.b(), h, en.row() + t, c));
                    }
                }
            }
        }
    }

    @Override
    protected synchronized KvCache createCache(CacheSpec spec, dev.attest.reference.LayerWeights weights) {
        return new GqaCache(this, spec);
    }

    /** The runner, for the caches (each call under the backend's lock: the runner's buffers are shared). */
    GqaRunner sharedRunner() {
        return runner();
    }
}
