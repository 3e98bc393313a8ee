package dev.attest.faults;

import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.backends.tiled.CpuTiledBackend;
import dev.attest.properties.cases.Problems;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.MaskView;
import dev.attest.reference.Tensor;
import dev.attest.reference.Window;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Capabilities;
import dev.attest.spi.Feature;
import dev.attest.spi.KvCache;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.attest.faults.Mutant.Kit.SOFTMAX;

/**
 * The softmax-attention half of the planted-bug catalog. Each mutant is cpu-naive (cpu-tiled for the tail-tile bug)
 * with exactly one realistic bug: either a wrapper that hands the correct backend a subtly wrong problem (the bug
 * lives in the glue code, where many real ones did), or {@link #attend}, a copy of cpu-naive's textbook loops with
 * one {@link Flaw} switched on. Everything a mutant does not touch (validation, layer, KV cache) is the correct
 * backend's, so the bug is the only thing wrong with it.
 */
public final class SoftmaxMutants {
    private SoftmaxMutants() {
    }

    /** The softmax catalog, in the order of the issue. */
    public static List<Mutant> catalog() {
        return List.of(
                m("heads-tokens-swapped", "heads and sequence axes transposed after the QKV reshape: (B,S,H*D) read as (B,H,S,D)",
                        "https://github.com/reczoo/FuxiCTR/issues/30 (view without transpose(1, 2)); https://github.com/jsbaan/transformer-from-scratch/pull/6",
                        () -> new Wrapped("mutant-heads-tokens-swapped") {
                            @Override
                            void compute(AttentionProblem p, Tensor out) {
                                correct.attention(new AttentionProblem(p.spec(), swapAxes(p.query()), swapAxes(p.key()),
                                        swapAxes(p.value()), p.mask(), p.keyLengths()), out);
                            }
                        }, "required_S7_agrees_with_the_oracle_within_the_tolerance_model", "outside the tolerance model"),
                m("heads-concat-reversed", "heads concatenated in the wrong order before the output projection (head h written to block H-1-h)",
                        "https://github.com/ajhalthor/Transformer-Neural-Network/pull/4 (merged heads put in the wrong place for each token)",
                        () -> new Wrapped("mutant-heads-concat-reversed") {
                            @Override
                            public void layer(LayerProblem p, Tensor out) {
                                correct.layer(withOutputWeights(p, reverseHeadBlocks(p)), out);
                            }
                        }, "required_S6_heads_are_concatenated_in_order", "changed columns outside"),
                m("scale-missing", "the 1/sqrt(d) scale missing (scale 1 used when none is given)",
                        "https://github.com/mlc-ai/mlc-llm/pull/3426 (missing 1/sqrt(d) scaling in the attention fallback path)",
                        () -> new Wrapped("mutant-scale-missing") {
                            @Override
                            void compute(AttentionProblem p, Tensor out) {
                                AttentionSpec spec = p.spec().scale().isPresent() ? p.spec() : p.spec().toBuilder().scale(1.0).build();
                                correct.attention(p.with(spec, p.mask(), p.keyLengths()), out);
                            }
                        }, "required_S7_agrees_with_the_oracle_within_the_tolerance_model", "outside the tolerance model"),
                m("scale-twice", "the scale applied twice: queries pre-scaled by the softmax scale and the scores scaled again",
                        "https://github.com/esceptico/perceiver-io/issues/9 (scale divided where it should multiply: the wrong factor applied to the logits)",
                        () -> new Wrapped("mutant-scale-twice") {
                            @Override
                            void compute(AttentionProblem p, Tensor out) {
                                float scale = (float) p.spec().effectiveScale();
                                Tensor q = Problems.copy(p.query());
                                q.forEachIndex(i -> q.data()[i] = q.data()[i] * scale);
                                correct.attention(Problems.withTensors(p, q, p.key(), p.value()), out);
                            }
                        }, "required_S7_agrees_with_the_oracle_within_the_tolerance_model", "outside the tolerance model"),
                m("softmax-over-queries", "softmax taken over the query axis (dim=-2) instead of the key axis",
                        "https://github.com/labmlai/annotated_deep_learning_paper_implementations/issues/146; https://github.com/PetrochukM/PyTorch-NLP/issues/2",
                        () -> new Flawed("mutant-softmax-over-queries", Flaw.SOFTMAX_OVER_QUERIES),
                        "required_S7_agrees_with_the_oracle_within_the_tolerance_model", "outside the tolerance model"),
                m("no-max-subtraction", "softmax without max subtraction: exp of raw logits overflows to inf, inf/inf = NaN at large logits",
                        "https://github.com/pyg-team/pytorch_geometric/issues/53; https://github.com/intel/xFasterTransformer/pull/326",
                        () -> new Flawed("mutant-no-max-subtraction", Flaw.NO_MAX_SUBTRACTION),
                        "required_S2_logits_near_plus_minus_1e4_stay_finite", "non-finite output where the oracle is finite"),
                m("masked-row-nan", "a fully masked row returns NaN (0/0 from an empty softmax)",
                        "https://github.com/pytorch/pytorch/issues/103963; https://github.com/pytorch/pytorch/pull/131060 (_safe_softmax)",
                        () -> new Wrapped("mutant-masked-row-nan") {
                            @Override
                            void compute(AttentionProblem p, Tensor out) {
                                correct.attention(p, out);
                                nanOnEmptyRows(p, out);
                            }
                        }, "required_S5_fully_masked_rows_are_exactly_zero", "a fully masked row is not zero"),
                m("nan-leak", "masking by multiplying weights by 0: NaN in a masked key or value leaks (0 x NaN = NaN)",
                        "https://github.com/pytorch/pytorch/issues/101967",
                        () -> new Flawed("mutant-nan-leak", Flaw.NAN_LEAK),
                        "required_S5_nan_in_masked_keys_and_values_does_not_leak", "NaN in a masked key or value leaked"),
                m("causal-top-left", "causal alignment top-left where bottom-right is asked (differs only when Sq != Skv)",
                        "https://github.com/pytorch/pytorch/issues/108108; https://github.com/ml-explore/mlx/issues/2835; https://github.com/Dao-AILab/flash-attention/issues/517 (FlashAttention 2.1 switched to bottom-right)",
                        () -> realigned("mutant-causal-top-left", p -> {
                            AttentionSpec s = p.spec();
                            return s.causal() && s.alignment() != null
                                    && s.alignment().kind() == Alignment.Kind.BOTTOM_RIGHT
                                    ? s.toBuilder().causal(Alignment.TOP_LEFT).build() : s;
                        }), "required_S4_each_causal_alignment_equals_its_explicit_mask", "outside the tolerance model"),
                m("causal-off-by-one", "causal off by one: j < i + offset instead of j <= i + offset (a token cannot see itself)",
                        "https://github.com/RVC-Boss/GPT-SoVITS/issues/965 (causal triu diagonal excludes the current position)",
                        () -> realigned("mutant-causal-off-by-one", p -> {
                            AttentionSpec s = p.spec();
                            return s.causal() && s.window() == null ? s.toBuilder().causal(shiftedBy(p, -1)).build() : s;
                        }), "required_S4_each_causal_alignment_equals_its_explicit_mask", "outside the tolerance model"),
                m("nonpad-causal-top-left", "is_causal with per-sequence key lengths (ONNX nonpad_kv_seqlen) anchored top-left: the key lengths only pad, the frontier ignores them",
                        "https://github.com/onnx/onnx/issues/8054; https://github.com/microsoft/onnxruntime/issues/28904 (the external-cache causal offset was 0, not nonpad_kv_seqlen[b] - Sq)",
                        () -> realigned("mutant-nonpad-causal-top-left", p -> {
                            AttentionSpec s = p.spec();
                            return s.alignment() != null && s.alignment().kind() == Alignment.Kind.KEY_LENGTHS
                                    ? s.toBuilder().masking(s.causal(), Alignment.TOP_LEFT, s.window()).build() : s;
                        }), "required_S4_each_causal_alignment_equals_its_explicit_mask", "outside the tolerance model"),
                m("per-sequence-offset-of-row-0", "per-sequence causal offsets resolved once, with sequence 0's offset for the whole batch",
                        "https://github.com/huggingface/candle/pull/3610 (only batch row 0 carried a valid causal mask; rows >= 1 attended a corrupt pattern)",
                        () -> realigned("mutant-per-sequence-offset-of-row-0", p -> {
                            AttentionSpec s = p.spec();
                            return s.alignment() != null && s.alignment().perSequence() ? s.toBuilder()
                                    .masking(s.causal(), Alignment.offset(p.positionOffset(0)), s.window()).build() : s;
                        }), "required_S4_each_causal_alignment_equals_its_explicit_mask", "outside the tolerance model"),
                m("gqa-tiled", "GQA heads mapped by tiling (h % Hkv) instead of repeat-interleave (h / group)",
                        "https://github.com/onnx/onnx/pull/7274 (ONNX Attention used Tile where torch uses repeat_interleave)",
                        () -> new Flawed("mutant-gqa-tiled", Flaw.GQA_TILED),
                        "required_S1_gqa_equals_mha_with_repeat_interleaved_key_value_heads", "outside the tolerance model"),
                m("softcap-after-mask", "softcap applied after the mask: c*tanh((s + bias)/c) turns a -inf bias into -c, so masked keys get weight",
                        "https://github.com/Dao-AILab/flash-attention/pull/1025 (review: softcap must come before masking); https://github.com/emmtrix/emx-onnx-cgen/pull/731",
                        () -> new Flawed("mutant-softcap-after-mask", Flaw.SOFTCAP_AFTER_MASK),
                        "required_S2_softcap_is_applied_before_the_mask", "outside the tolerance model"),
                m("finite-mask", "a finite mask value (-10000) instead of -inf: a fully masked row averages its values instead of being zero",
                        "https://github.com/huggingface/transformers/issues/10484 (-10000 kept from the original BERT); https://github.com/huggingface/transformers/pull/17306",
                        () -> new Flawed("mutant-finite-mask", Flaw.FINITE_MASK),
                        "required_S5_fully_masked_rows_are_exactly_zero", "a fully masked row is not zero"),
                m("cache-wrong-offset", "KV cache appends a chunk at the wrong offset: its causal alignment is 0 (top-left) instead of the past length",
                        "https://github.com/skyzh/tiny-llm/pull/46 (cache offset advanced wrongly after prefill); https://github.com/ggml-org/llama.cpp/issues/12160",
                        () -> new PlantedCacheBackend(PlantedCacheBackend.Bug.WRONG_OFFSET),
                        "required_S9_any_split_into_chunks_gives_the_outputs_of_one_full_causal_pass", "differs from one full causal pass"),
                m("cache-stale", "a stale cache: single-token decodes are not written to it, later steps read zeros in their slots",
                        "https://github.com/tenstorrent/tt-metal/issues/54413 (KV-cache positions silently left zeroed)",
                        () -> new PlantedCacheBackend(PlantedCacheBackend.Bug.STALE_ON_DECODE),
                        "required_S9_any_split_into_chunks_gives_the_outputs_of_one_full_causal_pass", "differs from one full causal pass"),
                m("rotary-at-zero", "rotary applied at position 0 instead of the cache offset for new tokens",
                        "https://github.com/ml-explore/mlx-lm/pull/93 (positions restart at zero with a KV cache); https://github.com/huggingface/transformers/pull/15751",
                        () -> new PlantedCacheBackend(PlantedCacheBackend.Bug.ROTARY_AT_ZERO),
                        "required_S9_rotary_with_a_cache_equals_rotary_over_the_full_sequence", "layer output outside the tolerance model"),
                m("rollback-keeps-rotary-position", "the layer's rotary position counts every token ever appended: a "
                                + "rollback of rejected drafts does not rewind it, so later tokens are rotated too far",
                        "https://github.com/Blaizzy/mlx-vlm/pull/1155 (after a partial accept the next pass ran with wrong RoPE positions)",
                        () -> new PlantedCacheBackend(PlantedCacheBackend.Bug.ROLLBACK_KEEPS_ROTARY_POSITION),
                        "required_S9_speculative_decoding_through_the_layer_rotates_at_the_accepted_positions",
                        "after speculative decoding"),
                m("chunk-aligned-to-last-key", "a cached chunk's causal frontier aligned to its last new key "
                                + "(bottom-right) instead of the past length: wrong when queries and new keys differ in number",
                        "https://github.com/onnx/onnx/issues/8054 (index- vs position-anchored causal masks with a cache); https://github.com/Dao-AILab/flash-attention/issues/466",
                        () -> new PlantedCacheBackend(PlantedCacheBackend.Bug.CHUNK_ALIGNED_TO_LAST_KEY),
                        "required_S9_chunks_whose_query_and_key_counts_differ_see_the_keys_up_to_their_position",
                        "differs from attention over the keys it holds"),
                m("window-off-by-one", "sliding window off by one: the left edge reaches one key too far (p - left - 1 <= j)",
                        "https://github.com/ml-explore/mlx-lm/pull/390 (window mask had one too many values); https://github.com/huggingface/transformers/issues/39408",
                        () -> new Wrapped("mutant-window-off-by-one") {
                            @Override
                            void compute(AttentionProblem p, Tensor out) {
                                AttentionSpec s = p.spec();
                                Window w = s.window();
                                AttentionSpec wider = w != null && w.left() != Window.UNBOUNDED
                                        ? s.toBuilder().window(new Window(w.left() + 1, w.right()), s.alignment()).build() : s;
                                correct.attention(p.with(wider, p.mask(), p.keyLengths()), out);
                            }
                        }, "required_S3_a_sliding_window_equals_its_explicit_mask", "outside the tolerance model"),
                m("tail-tile-unmasked", "cpu-tiled's unmasked fast path does not mask the zero padding of the last key tile when Skv > 64 is not a multiple of 64",
                        "https://github.com/flashinfer-ai/flashinfer/pull/5090 (seqlen_k % 64 != 0: zero-filled tail keys got exp(0) weight); https://github.com/jax-ml/jax/issues/27224",
                        TailTileUnmasked::new, "required_S7_agrees_with_the_oracle_within_the_tolerance_model", "outside the tolerance model"),
                m("racy-reduction", "the sum over keys split across threads, partial sums added in completion order: float results depend on thread timing",
                        "https://github.com/microsoft/onnxruntime/issues/27003 (split-K partials summed in a random order)",
                        () -> new Flawed("mutant-racy-reduction", Flaw.RACY_REDUCTION),
                        "required_S8_two_runs_are_bit_identical", "a second run differs from the first"),
                m("output-projection-transposed", "the output projection applied transposed (X*Wo^T): unnoticed whenever Wo is square",
                        "https://github.com/skyzh/tiny-llm/pull/60 (w_o shape reversed); https://github.com/mindspore-lab/mindone/pull/399",
                        () -> new Wrapped("mutant-output-projection-transposed") {
                            @Override
                            public void layer(LayerProblem p, Tensor out) {
                                Tensor wo = p.weights().wo();
                                correct.layer(wo.dim(0) == wo.dim(1) ? withOutputWeights(p, transpose(wo)) : p, out);
                            }
                        }, "required_S6_the_layer_agrees_with_the_oracle", "outside the tolerance model"));
    }

    private static Mutant m(String id, String description, String reportedAt, java.util.function.Supplier<Object> backend,
                            String killer, String phrase) {
        return new Mutant(id, description, reportedAt, SOFTMAX, backend, killer, phrase);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Wrappers

    /** cpu-naive with validation as a real backend does it; {@link #compute} is where a mutant plants its bug. */
    abstract static class Wrapped implements AttentionBackend {
        final CpuNaiveBackend correct = new CpuNaiveBackend();
        private final String name;

        Wrapped(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Capabilities capabilities() {
            return dev.attest.backends.naive.CpuNaiveBackend.FP32_CAPABILITIES;    // the mutants read fp32 arrays
        }

        @Override
        public final void attention(AttentionProblem problem, Tensor out) {
            capabilities().require(name, problem, out);
            problem.requireOutput(out);
            compute(problem, out);
        }

        void compute(AttentionProblem problem, Tensor out) {
            correct.attention(problem, out);
        }

        @Override
        public void layer(LayerProblem problem, Tensor out) {
            correct.layer(problem, out);
        }

        @Override
        public KvCache openCache(CacheSpec spec) {
            return correct.openCache(spec);
        }

        @Override
        public KvCache openLayerCache(CacheSpec spec, LayerWeights weights) {
            return correct.openLayerCache(spec, weights);
        }
    }

    /** cpu-naive's loops ({@link #attend}) with one flaw switched on. */
    static final class Flawed extends Wrapped {
        private final Flaw flaw;

        Flawed(String name, Flaw flaw) {
            super(name);
            this.flaw = flaw;
        }

        @Override
        void compute(AttentionProblem problem, Tensor out) {
            attend(problem, out, flaw);
        }
    }

    /**
     * cpu-tiled with its tail bug: when no mask or key lengths are given (the path that skips per-element tests),
     * the last key tile is treated as full, so its zero padding (keys past Skv) takes part in the softmax. Only
     * multi-tile problems (Skv > 64) take that path.
     */
    static final class TailTileUnmasked extends Wrapped {
        static final int TILE = 64;
        private final CpuTiledBackend tiled = new CpuTiledBackend();

        TailTileUnmasked() {
            super("mutant-tail-tile-unmasked");
        }

        @Override
        void compute(AttentionProblem p, Tensor out) {
            AttentionSpec s = p.spec();
            int skv = s.kvLength(), padded = (skv + TILE - 1) / TILE * TILE;
            if (p.mask() != null || p.keyLengths() != null || skv <= TILE || padded == skv
                    || (s.alignment() != null && s.alignment().perSequence()) || s.positionOffset() < 0) {
                tiled.attention(p, out);
                return;
            }
            AttentionSpec wide = s.toBuilder().lengths(s.qLength(), padded)
                    .masking(s.causal(), s.alignment() == null ? null : Alignment.offset(s.positionOffset()), s.window())
                    .build();
            tiled.attention(new AttentionProblem(wide, p.query(), padKeys(p.key(), padded), padKeys(p.value(), padded)), out);
        }

        private static Tensor padKeys(Tensor t, int length) {
            Tensor padded = Tensor.zeros(t.dim(0), t.dim(1), length, t.dim(3));
            for (int b = 0; b < t.dim(0); b++)
                for (int h = 0; h < t.dim(1); h++)
                    for (int j = 0; j < t.dim(2); j++)
                        for (int d = 0; d < t.dim(3); d++) padded.set(t.get(b, h, j, d), b, h, j, d);
            return padded;
        }
    }

    /** Reads a dense (B, H, S, D) buffer as if it were laid out (B, S, H, D): the classic missing transpose. */
    static Tensor swapAxes(Tensor t) {
        Tensor dense = t.copy();
        int h = t.dim(1), s = t.dim(2), d = t.dim(3);
        return Tensor.view(dense.data(), 0, t.shape(), new int[]{h * s * d, d, h * d, 1});
    }

    static void nanOnEmptyRows(AttentionProblem p, Tensor out) {
        MaskView view = p.maskView();
        AttentionSpec s = p.spec();
        for (int b = 0; b < s.batch(); b++)
            for (int h = 0; h < s.qHeads(); h++)
                for (int i = 0; i < s.qLength(); i++) {
                    boolean any = false;
                    for (int j = 0; j < s.kvLength(); j++) any |= view.visible(b, h, i, j);
                    if (!any) for (int d = 0; d < s.vHeadDim(); d++) out.set(Float.NaN, b, h, i, d);
                }
    }

    /** Wo with its head row blocks reversed: what concatenating the heads in reverse order amounts to. */
    static Tensor reverseHeadBlocks(LayerProblem p) {
        Tensor wo = p.weights().wo();
        int heads = p.spec().core().qHeads(), dv = p.spec().core().vHeadDim();
        Tensor reversed = Tensor.zeros(wo.dim(0), wo.dim(1));
        for (int h = 0; h < heads; h++)
            for (int r = 0; r < dv; r++)
                for (int c = 0; c < wo.dim(1); c++) reversed.set(wo.get((heads - 1 - h) * dv + r, c), h * dv + r, c);
        return reversed;
    }

    static Tensor transpose(Tensor w) {
        Tensor t = Tensor.zeros(w.dim(1), w.dim(0));
        for (int i = 0; i < w.dim(0); i++) for (int j = 0; j < w.dim(1); j++) t.set(w.get(i, j), j, i);
        return t;
    }

    static LayerProblem withOutputWeights(LayerProblem p, Tensor wo) {
        LayerWeights w = p.weights();
        return new LayerProblem(p.spec(), new LayerWeights(w.wq(), w.bq(), w.wk(), w.bk(), w.wv(), w.bv(), wo, w.bo(),
                w.loraQ(), w.loraK(), w.loraV()), p.input(), p.memory(), p.mask(), p.keyLengths(), p.queryPosition(),
                p.keyPosition());
    }

    // ---------------------------------------------------------------------------------------------------------
    // cpu-naive's loops, with one flaw

    /** The flaws {@link #attend} can plant. */
    enum Flaw { SOFTMAX_OVER_QUERIES, NO_MAX_SUBTRACTION, NAN_LEAK, GQA_TILED, SOFTCAP_AFTER_MASK, FINITE_MASK, RACY_REDUCTION }

    /** Four worker threads for the racy reduction: daemon, so they never keep a test JVM alive. */
    private static final ExecutorService WORKERS = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "mutant-racy-reduction");
        t.setDaemon(true);
        return t;
    });

    /** cpu-naive's textbook attention with {@code flaw} planted. */
    static void attend(AttentionProblem problem, Tensor out, Flaw flaw) {
        AttentionSpec spec = problem.spec();
        Tensor q = problem.query(), k = problem.key(), v = problem.value();
        MaskView mask = problem.maskView();
        int sq = spec.qLength(), skv = spec.kvLength(), dqk = spec.qkHeadDim(), dv = spec.vHeadDim();
        float scale = (float) spec.effectiveScale();
        double cap = spec.softcap();
        for (int b = 0; b < spec.batch(); b++) {
            for (int h = 0; h < spec.qHeads(); h++) {
                int kvh = flaw == Flaw.GQA_TILED ? h % spec.kvHeads() : h / spec.groupSize();
                float[][] p = new float[sq][skv];
                boolean[][] live = new boolean[sq][skv];
                // 1. scores
                for (int i = 0; i < sq; i++) {
                    for (int j = 0; j < skv; j++) {
                        boolean visible = mask.visible(b, h, i, j);
                        float bias = mask.bias(b, h, i, j);
                        boolean read = switch (flaw) {
                            case FINITE_MASK -> true;
                            case SOFTCAP_AFTER_MASK -> visible || (cap != 0 && bias == Float.NEGATIVE_INFINITY);
                            default -> visible;
                        };
                        live[i][j] = read;
                        if (!read) continue;
                        float dot = 0f;
                        for (int d = 0; d < dqk; d++) dot += q.get(b, h, i, d) * k.get(b, kvh, j, d);
                        float s = dot * scale;
                        if (flaw == Flaw.SOFTCAP_AFTER_MASK && cap != 0) {
                            s = (float) (cap * Math.tanh((s + bias) / cap));      // the mask inside the softcap
                        } else {
                            if (cap != 0) s = (float) (cap * Math.tanh(s / cap));
                            s = flaw == Flaw.FINITE_MASK && !visible ? s - 10000f : s + bias;
                        }
                        p[i][j] = s;
                    }
                }
                // 2. softmax
                if (flaw == Flaw.SOFTMAX_OVER_QUERIES) {
                    for (int j = 0; j < skv; j++) softmax(p, live, j, sq, true, true);
                } else {
                    for (int i = 0; i < sq; i++) softmax(p, live, i, skv, false, flaw != Flaw.NO_MAX_SUBTRACTION);
                }
                // 3. weighted sum of values
                if (flaw == Flaw.RACY_REDUCTION) {
                    racySum(p, live, v, out, b, h, kvh, sq, skv, dv);
                    continue;
                }
                for (int i = 0; i < sq; i++) {
                    for (int d = 0; d < dv; d++) {
                        float acc = 0f;
                        for (int j = 0; j < skv; j++) {
                            if (live[i][j]) acc += p[i][j] * v.get(b, kvh, j, d);
                            else if (flaw == Flaw.NAN_LEAK) acc += 0f * v.get(b, kvh, j, d);   // masked by a zero weight
                        }
                        out.set(acc, b, h, i, d);
                    }
                }
            }
        }
    }

    /** Softmax of row {@code r} (or column, {@code overRows}) over its live entries; an empty one stays zero. */
    private static void softmax(float[][] p, boolean[][] live, int r, int n, boolean column, boolean subtractMax) {
        float max = Float.NEGATIVE_INFINITY;
        boolean any = false;
        for (int x = 0; x < n; x++) {
            int i = column ? x : r, j = column ? r : x;
            if (!live[i][j]) continue;
            max = any ? Math.max(max, p[i][j]) : p[i][j];
            any = true;
        }
        if (!any) return;
        if (!subtractMax) max = 0f;
        float sum = 0f;
        for (int x = 0; x < n; x++) {
            int i = column ? x : r, j = column ? r : x;
            if (!live[i][j]) continue;
            p[i][j] = (float) Math.exp(p[i][j] - max);
            sum += p[i][j];
        }
        for (int x = 0; x < n; x++) {
            int i = column ? x : r, j = column ? r : x;
            if (live[i][j]) p[i][j] = p[i][j] / sum;
        }
    }

    /**
     * The weighted sum split over four key ranges computed on worker threads; each partial (Sq x Dv) is added into
     * the output as its thread finishes, so the order of the float additions, and the rounding, follows thread
     * timing (as with atomicAdd of split-K partials).
     */
    private static void racySum(float[][] p, boolean[][] live, Tensor v, Tensor out, int b, int h, int kvh,
                                int sq, int skv, int dv) {
        int parts = Math.min(4, skv), per = (skv + parts - 1) / parts;
        float[] total = new float[sq * dv];
        Object lock = new Object();
        List<Future<?>> tasks = new java.util.ArrayList<>();
        for (int part = 0; part < parts; part++) {
            int from = part * per, to = Math.min(skv, from + per);
            tasks.add(WORKERS.submit(() -> {
                long spin = System.nanoTime() % 50_000;                 // a thread's start is never on time
                for (long until = System.nanoTime() + spin; System.nanoTime() < until; ) Thread.onSpinWait();
                float[] partial = new float[sq * dv];
                for (int i = 0; i < sq; i++)
                    for (int d = 0; d < dv; d++) {
                        float acc = 0f;
                        for (int j = from; j < to; j++) if (live[i][j]) acc += p[i][j] * v.get(b, kvh, j, d);
                        partial[i * dv + d] = acc;
                    }
                synchronized (lock) {
                    for (int x = 0; x < total.length; x++) total[x] += partial[x];
                }
            }));
        }
        for (Future<?> task : tasks) {
            try {
                task.get();
            } catch (Exception e) {
                throw new IllegalStateException("a worker of the racy reduction failed", e);
            }
        }
        for (int i = 0; i < sq; i++) for (int d = 0; d < dv; d++) out.set(total[i * dv + d], b, h, i, d);
    }

    /** cpu-naive on the problem with the spec {@code misread} makes of it (the mask and key lengths kept). */
    static Wrapped realigned(String name, java.util.function.Function<AttentionProblem, AttentionSpec> misread) {
        return new Wrapped(name) {
            @Override
            void compute(AttentionProblem p, Tensor out) {
                correct.attention(p.with(misread.apply(p), p.mask(), p.keyLengths()), out);
            }
        };
    }

    /** The problem's alignment moved by {@code delta} positions, per sequence when it differs between them. */
    static Alignment shiftedBy(AttentionProblem p, int delta) {
        AttentionSpec s = p.spec();
        if (s.alignment() == null || !s.alignment().perSequence()) return Alignment.offset(s.positionOffset() + delta);
        int[] offsets = new int[s.batch()];
        for (int b = 0; b < offsets.length; b++) offsets[b] = p.positionOffset(b) + delta;
        return Alignment.perSequence(offsets);
    }
}
