package dev.attest.reports.golden;

import dev.attest.oracle.Oracle;
import dev.attest.properties.contract.AttentionContract;
import dev.attest.properties.judge.Expectation;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Descale;
import dev.attest.reference.ElementType;
import dev.attest.reference.Precision;
import dev.attest.reference.ScoreStage;
import dev.attest.reference.Tensor;
import dev.attest.reference.Window;
import dev.attest.reports.AtomicFiles;
import dev.attest.reports.model.ReportJson;
import dev.attest.spi.TensorTypes;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code golden export}: Attest's own golden cases, inputs drawn from a seed per case name, expected outputs from the
 * oracle. Cases are named from feature tokens in a fixed order, as ONNX names its attention cases.
 *
 * <p>A typed case stores its inputs in their types (values drawn in fp32, then rounded; an fp8 tensor with the
 * descale quantising code would choose) and its expected output as the oracle's value, computed from the stored
 * inputs, rounded once to the output type. Its tolerance is derived, not guessed ({@link #tolerance}).
 */
public final class GoldenExport {
    private GoldenExport() {
    }

    /**
     * A case to export; an fp8 tensor of it gets one descale per head ({@code perHeadDescale}) or one in all. A
     * cache case has {@code past} past tokens; {@code keyLengths} and {@code offsets} (or null) become the integer
     * arrays of those names; {@code lse} asks for the expected log-sum-exp (the scores' stage is the options').
     */
    record Recipe(GoldenCase options, boolean perHeadDescale, int past, int[] keyLengths, int[] offsets, boolean lse) {
        Recipe(GoldenCase options, boolean perHeadDescale) {
            this(options, perHeadDescale, 0, null, null, false);
        }
    }

    /** A format-2 case: {@code base} with {@code v2}'s options. */
    private static GoldenCase v2(GoldenCase base, V2Options v2) {
        return base.withV2(v2, null);
    }

    private static GoldenCase fp32Case(String name, int b, int hq, int hkv, int sq, int skv, int d, Double softcap,
                                       String causal, String layout) {
        return new GoldenCase(name, b, hq, hkv, sq, skv, d, d, null, softcap, causal, layout, null, 1e-5, 1e-4, null);
    }

    private static V2Options window(int left, int right, String alignment) {
        return new V2Options(new Window(left, right), alignment, null, null, null, null);
    }

    private static V2Options chunks(int[]... chunks) {
        return new V2Options(null, null, null, null, chunks, null);
    }

    private static V2Options scores(String stage) {
        return new V2Options(null, null, null, stage, null, null);
    }

    private static Recipe plain(String name, int b, int hq, int hkv, int sq, int skv, int dqk, int dv) {
        return fp32(new GoldenCase(name, b, hq, hkv, sq, skv, dqk, dv, null, null, null, "BHSD", null, 1e-5, 1e-4,
                null));
    }

    private static Recipe fp32(GoldenCase options) {
        return new Recipe(options, false);
    }

    /** A typed case; its atol and rtol are computed at export. */
    private static Recipe typed(String name, int b, int hq, int hkv, int sq, int skv, int d, TensorTypes types,
                                boolean perHeadDescale) {
        return new Recipe(new GoldenCase(name, b, hq, hkv, sq, skv, d, d, null, null, null, "BHSD", null, 0, 0, null,
                GoldenTypes.of(types)), perHeadDescale);
    }

    /** The exported cases; each feature and each kind of element type the file format carries is in at least one. */
    static final List<Recipe> RECIPES = List.of(
            plain("attention_4d", 2, 3, 3, 4, 6, 8, 8),
            plain("attention_4d_diff_heads_sizes", 1, 2, 2, 3, 5, 6, 4),
            plain("attention_4d_gqa", 1, 4, 2, 5, 5, 8, 8),
            fp32(new GoldenCase("attention_4d_scaled", 1, 2, 2, 4, 4, 8, 8, 0.125, null, null, "BHSD", null, 1e-5,
                    1e-4, null)),
            fp32(new GoldenCase("attention_4d_causal", 1, 2, 2, 5, 5, 4, 4, null, null, "top_left", "BHSD", null,
                    1e-5, 1e-4, null)),
            fp32(new GoldenCase("attention_4d_gqa_causal_bottom_right", 2, 4, 1, 3, 7, 8, 8, null, null,
                    "bottom_right", "BHSD", null, 1e-5, 1e-4, null)),
            fp32(new GoldenCase("attention_4d_softcap", 1, 2, 2, 4, 6, 8, 8, null, 2.0, null, "BHSD", null, 1e-5,
                    1e-4, null)),
            plain("attention_4d_attn_mask", 2, 2, 2, 3, 5, 8, 8),
            plain("attention_4d_attn_mask_bool", 1, 2, 1, 4, 4, 8, 8),
            fp32(new GoldenCase("attention_4d_key_padding", 2, 2, 2, 3, 6, 8, 8, null, null, null, "BHSD",
                    new int[]{6, 2}, 1e-5, 1e-4, null)),
            fp32(new GoldenCase("attention_bshd", 2, 4, 2, 3, 5, 8, 8, null, null, null, "BSHD", null, 1e-5, 1e-4,
                    null)),
            typed("attention_4d_fp16", 2, 3, 3, 4, 6, 8, TensorTypes.uniform(ElementType.FP16), false),
            typed("attention_4d_bf16", 2, 3, 3, 4, 6, 8, TensorTypes.uniform(ElementType.BF16), false),
            typed("attention_4d_gqa_bf16_fp8_e4m3_kv", 2, 4, 2, 3, 7, 8,
                    TensorTypes.withCache(ElementType.BF16, ElementType.FP8_E4M3), true),
            typed("attention_4d_bf16_fp8_e5m2_kv", 1, 2, 2, 4, 6, 8,
                    TensorTypes.withCache(ElementType.BF16, ElementType.FP8_E5M2), false),
            // format 2: windows, explicit and per-sequence alignments, integer arrays, auxiliary outputs, caches
            fp32(v2(fp32Case("attention_4d_causal_window", 1, 2, 2, 5, 7, 8, null, "bottom_right", "BHSD"),
                    window(2, 0, null))),
            fp32(v2(fp32Case("attention_4d_window_both_sides", 1, 2, 1, 6, 6, 8, null, null, "BHSD"),
                    window(1, 2, "top_left"))),
            fp32(v2(fp32Case("attention_4d_causal_offset", 1, 2, 2, 4, 6, 8, null, "offset", "BHSD"),
                    new V2Options(null, null, 1, null, null, null))),
            new Recipe(v2(fp32Case("attention_4d_causal_per_sequence", 3, 2, 2, 3, 8, 8, null, "per_sequence",
                    "BHSD"), V2Options.NONE), false, 0, null, new int[]{0, 3, 5}, false),
            new Recipe(v2(fp32Case("attention_4d_causal_key_lengths", 2, 2, 2, 2, 6, 8, null, "key_lengths",
                    "BHSD"), V2Options.NONE), false, 0, new int[]{6, 3}, null, false),
            new Recipe(v2(fp32Case("attention_4d_attn_mask_lse_scores_biased", 2, 2, 2, 3, 5, 8, null, null,
                    "BHSD"), scores("biased")), false, 0, null, null, true),
            fp32(v2(fp32Case("attention_4d_softcap_scores_softcapped", 1, 2, 2, 3, 4, 8, 2.0, null, "BHSD"),
                    scores("softcapped"))),
            new Recipe(v2(fp32Case("attention_4d_cache_past_present_attn_mask", 2, 2, 2, 2, 3, 8, null, "past",
                    "BHSD"), chunks(new int[]{2, 3})), false, 4, null, null, false),
            fp32(v2(fp32Case("attention_4d_gqa_cache_causal_chunks", 1, 4, 2, 6, 6, 8, null, "past", "BHSD"),
                    chunks(new int[]{3, 3}, new int[]{1, 1}, new int[]{2, 2}))),
            new Recipe(v2(fp32Case("attention_4d_cache_cross_attention", 1, 2, 2, 3, 1, 8, null, null, "BHSD"),
                    chunks(new int[]{2, 1}, new int[]{1, 0})), false, 5, null, null, false),
            new Recipe(v2(new GoldenCase("attention_4d_cache_fp16", 1, 2, 2, 2, 2, 8, 8, null, null, "past", "BHSD",
                    null, 0, 0, null, GoldenTypes.of(TensorTypes.uniform(ElementType.FP16))),
                    chunks(new int[]{2, 2})), false, 3, null, null, false),
            new Recipe(v2(fp32Case("attention_bshd_cache_chunks", 2, 2, 1, 3, 3, 8, null, "past", "BSHD"),
                    chunks(new int[]{2, 2}, new int[]{1, 1})), false, 2, null, null, false),
            new Recipe(v2(fp32Case("attention_4d_cache_lse_scores_logits", 1, 2, 2, 2, 2, 8, null, "past", "BHSD"),
                    new V2Options(null, null, null, "logits", new int[][]{{2, 2}}, null)), false, 3, null, null,
                    true));

    /** Computes every case, then writes them (each file atomically): a failure leaves no case half-written. */
    public static int export(Path dir) {
        Map<Path, byte[]> files = new LinkedHashMap<>();
        for (Recipe r : RECIPES) {
            Map<String, Npy.Array> arrays = new LinkedHashMap<>();
            GoldenCase c = build(r, arrays);
            files.put(dir.resolve(c.name() + ".npz"), Npy.npz(arrays));
            files.put(dir.resolve(c.name() + ".json"),
                    (ReportJson.MAPPER.writeValueAsString(c.toJsonV2()) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        files.forEach(AtomicFiles::write);
        return RECIPES.size();
    }

    /** Fills {@code arrays} with the recipe's inputs and expected outputs; returns the case as written (format 2). */
    static GoldenCase build(Recipe r, Map<String, Npy.Array> arrays) {
        GoldenCase c = r.options();
        int[] keyLengths = r.keyLengths() != null ? r.keyLengths() : c.keyLengths();
        V2Options options = (c.v2() == null ? V2Options.NONE : c.v2()).withOffsets(r.offsets());
        c = c.withV2(options, keyLengths);
        SplittableRandom random = new SplittableRandom(c.name().hashCode());
        Map<String, Descale> descales = new LinkedHashMap<>();
        List<String> drawn = r.past() > 0 ? List.of(GoldenCase.Q, GoldenCase.K, GoldenCase.V, GoldenCase.PAST_KEY,
                GoldenCase.PAST_VALUE) : List.of(GoldenCase.Q, GoldenCase.K, GoldenCase.V);
        for (String a : drawn) {
            int[] shape = sized(c.storedShape(a), r.past()), logical = sized(c.logicalShape(a), r.past());
            float[] data = new float[Arrays.stream(shape).reduce(1, Math::multiplyExact)];
            for (int i = 0; i < data.length; i++) data[i] = (float) (random.nextDouble() * 4 - 2);
            ElementType type = c.elementTypes().of(a);
            if (type == ElementType.FP32) {
                arrays.put(a, new Npy.Array(shape, data));
                continue;
            }
            Tensor drawnTensor = c.storage().wrap(data, logical[0], logical[1], logical[2], logical[3]);
            Descale descale = type.isFp8() ? Descale.quantising(drawnTensor, type, r.perHeadDescale()) : null;
            Tensor stored = c.storage().allocate(type, descale, logical[0], logical[1], logical[2], logical[3]);
            stored.copyFrom(drawnTensor);
            if (descale != null) descales.put(a, descale);
            arrays.put(a, array(stored, shape));
        }
        if (keyLengths != null) arrays.put(GoldenCase.KEY_LENGTHS, integers(keyLengths));
        if (r.offsets() != null) arrays.put(GoldenCase.OFFSETS, integers(r.offsets()));
        int keys = c.kvLength() + (c.isCache() ? r.past() : 0);
        if (c.name().contains("attn_mask")) {
            arrays.put(GoldenCase.MASK, exampleMask(c, c.name().endsWith("_bool"), keys));
        }
        GoldenTypes types = c.elementTypes().withDescales(descales);
        c = c.with(types, c.atol(), c.rtol(), null);
        List<AttentionProblem> steps;
        int[] rowsBefore;
        if (c.isCache()) {
            GoldenCachePlan plan = GoldenCachePlan.of(c, arrays);
            steps = plan.steps();
            rowsBefore = plan.rowsBefore();
            arrays.put(GoldenCase.PRESENT_KEY, present(c, plan, GoldenCase.K, keys));
            arrays.put(GoldenCase.PRESENT_VALUE, present(c, plan, GoldenCase.V, keys));
        } else {
            steps = List.of(Golden.problem(c, arrays));
            rowsBefore = new int[]{0};
        }
        arrays.put(GoldenCase.OUT, oracleOutput(c, steps, rowsBefore));
        if (r.lse()) arrays.put(GoldenCase.LSE, floats(Oracle.logSumExp(steps.get(0)).values(), c.batch(),
                c.qHeads(), c.qLength()));
        if (options.scoreStage() != null) {
            ScoreStage stage = ScoreStage.valueOf(options.scoreStage().toUpperCase(Locale.ROOT));
            arrays.put(GoldenCase.SCORES, floats(Oracle.scores(steps.get(0), stage).values(), c.batch(), c.qHeads(),
                    c.qLength(), steps.get(0).spec().kvLength()));
        }
        ElementType out = types.tensors().output();
        if (types.equals(GoldenTypes.FP32)) {
            return c.with(types, c.atol(), c.rtol(), "attest oracle (double-double), rounded to float32");
        }
        double atol = 0, rtol = 0;
        for (AttentionProblem step : steps) {
            double[] tolerance = tolerance(step, out);
            atol = Math.max(atol, tolerance[0]);
            rtol = Math.max(rtol, tolerance[1]);
        }
        return c.with(types, atol, rtol, String.format(Locale.ROOT, "attest oracle (double-double)"
                + " from the stored inputs, rounded to %s; atol = %s x the error of a naive fp32-accumulating kernel"
                + " + the smallest %s subnormal, rtol = one %s ulp (docs/precision.md, golden files)", out,
                fmt(AttentionContract.OUTPUT_K), out, out));
    }

    /** A shape with the past-sized axis (-1) given {@code past} rows. */
    private static int[] sized(int[] shape, int past) {
        return Arrays.stream(shape).map(d -> d < 0 ? past : d).toArray();
    }

    private static Npy.Array integers(int[] values) {
        return Npy.Array.ofInts(new int[]{values.length}, Arrays.stream(values).asLongStream().toArray(),
                Npy.Dtype.INT64);
    }

    private static Npy.Array floats(double[] values, int... shape) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
        return new Npy.Array(shape, f);
    }

    /** The present K (or V) a cache holds after the case: the past, then every chunk's keys, as stored. */
    private static Npy.Array present(GoldenCase c, GoldenCachePlan plan, String kOrV, int rows) {
        AttentionProblem last = plan.steps().get(plan.steps().size() - 1);     // it sees every key held
        Tensor held = kOrV.equals(GoldenCase.K) ? last.key() : last.value();
        Tensor stored = c.storage().allocate(held.type(), null, held.dim(0), held.dim(1), rows, held.dim(3));
        stored.copyFrom(held);
        return array(stored, sized(c.storedShape(kOrV.equals(GoldenCase.K) ? GoldenCase.PRESENT_KEY
                : GoldenCase.PRESENT_VALUE), rows));
    }

    private static String fmt(double k) {
        return k == Math.rint(k) ? Long.toString((long) k) : Double.toString(k);
    }

    /**
     * {atol, rtol} that a correct kernel accumulating in fp32 meets against the oracle's output rounded to {@code out}.
     * The kit allows it {@code A + ulp(o)/2} from the oracle's value {@code o} ({@link Expectation}: A is k times
     * the error of the naive computation with a fast kernel's roundings); the stored value {@code e} is {@code o}
     * rounded, another {@code ulp(o)/2} away. So {@code |out - e| <= A + ulp(o)}, and {@code ulp(o) <= 2^-m |e|}
     * for a normal {@code e} (m mantissa bits; rounding never crosses below the power of two under {@code o}), the
     * smallest subnormal below that: atol {@code = A + min subnormal}, rtol {@code = 2^-m}.
     */
    static double[] tolerance(AttentionProblem problem, ElementType out) {
        Expectation e = Expectation.attention(problem, Precision.FP32, AttentionContract.OUTPUT_K);
        return new double[]{e.allowance(out) + out.minSubnormal(), 2 * out.unitRoundoff()};
    }

    /**
     * The oracle's output of {@code p} rounded once to the case's output type, in its storage layout (what NAME.npz
     * holds).
     */
    static Npy.Array oracleOutput(GoldenCase c, AttentionProblem p) {
        return oracleOutput(c, List.of(p), new int[]{0});
    }

    /** The oracle's outputs of {@code steps}, step i's rows from row {@code rowsBefore[i]} of out. */
    static Npy.Array oracleOutput(GoldenCase c, List<AttentionProblem> steps, int[] rowsBefore) {
        ElementType type = c.elementTypes().tensors().output();
        Tensor out = c.storage().allocate(type, null, c.batch(), c.qHeads(), c.qLength(), c.vHeadDim());
        for (int i = 0; i < steps.size(); i++) {
            double[] exact = Oracle.attention(steps.get(i)).values();    // logical BHSD order
            int k = 0, rows = steps.get(i).spec().qLength();
            for (int b = 0; b < c.batch(); b++)
                for (int h = 0; h < c.qHeads(); h++)
                    for (int s = 0; s < rows; s++)
                        for (int d = 0; d < c.vHeadDim(); d++) {
                            int at = out.index(b, h, rowsBefore[i] + s, d);
                            // straight from double to the type: through float first would round twice
                            if (type == ElementType.FP32) out.data()[at] = (float) exact[k++];
                            else out.bits16()[at] = (short) type.encode(exact[k++]);
                        }
        }
        return array(out, c.storedShape(GoldenCase.OUT));
    }

    /** A tensor made by {@code Layout.allocate} as the .npy array of its storage (shape {@code stored}). */
    static Npy.Array array(Tensor t, int[] stored) {
        return switch (t.type()) {
            case FP32 -> new Npy.Array(stored, t.data());
            case FP16, BF16 -> Npy.Array.ofBits(stored, t.bits16(), GoldenTypes.dtype(t.type()));
            case FP8_E4M3, FP8_E5M2 -> Npy.Array.ofBits(stored, t.bits8());
        };
    }

    /**
     * A mask over (Sq, keys) for a boolean case, or over (B, 1, Sq, keys) with -inf entries for an additive one
     * (keys: Skv, or past + Skv for a cache case, whose mask columns are absolute positions).
     */
    private static Npy.Array exampleMask(GoldenCase c, boolean bool, int keys) {
        int[] shape = bool ? new int[]{c.qLength(), keys} : new int[]{c.batch(), 1, c.qLength(), keys};
        float[] m = new float[Arrays.stream(shape).reduce(1, Math::multiplyExact)];
        for (int i = 0; i < m.length; i++) {
            int key = i % keys;
            boolean keep = key == 0 || (i * 7 + 3) % 5 != 0;   // key 0 always kept: no row is fully masked
            m[i] = bool ? (keep ? 1 : 0) : keep ? (float) Math.cos(i) : Float.NEGATIVE_INFINITY;
        }
        return new Npy.Array(shape, m, bool ? Npy.Dtype.BOOL : Npy.Dtype.FLOAT32);
    }
}
