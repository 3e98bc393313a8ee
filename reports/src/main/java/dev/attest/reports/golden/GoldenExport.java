package dev.attest.reports.golden;

import dev.attest.oracle.Oracle;
import dev.attest.properties.contract.AttentionContract;
import dev.attest.properties.judge.Expectation;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Descale;
import dev.attest.reference.ElementType;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
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

    /** A case to export; an fp8 tensor of it gets one descale per head ({@code perHeadDescale}) or one in all. */
    record Recipe(GoldenCase options, boolean perHeadDescale) {
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
                    TensorTypes.withCache(ElementType.BF16, ElementType.FP8_E5M2), false));

    /** Computes every case, then writes them (each file atomically): a failure leaves no case half-written. */
    public static int export(Path dir) {
        Map<Path, byte[]> files = new LinkedHashMap<>();
        for (Recipe r : RECIPES) {
            Map<String, Npy.Array> arrays = new LinkedHashMap<>();
            GoldenCase c = build(r, arrays);
            files.put(dir.resolve(c.name() + ".npz"), Npy.npz(arrays));
            files.put(dir.resolve(c.name() + ".json"),
                    (ReportJson.MAPPER.writeValueAsString(c) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        files.forEach(AtomicFiles::write);
        return RECIPES.size();
    }

    /** Fills {@code arrays} with the recipe's inputs and expected output; returns the case as written. */
    static GoldenCase build(Recipe r, Map<String, Npy.Array> arrays) {
        GoldenCase c = r.options();
        SplittableRandom random = new SplittableRandom(c.name().hashCode());
        Map<String, Descale> descales = new LinkedHashMap<>();
        for (String a : List.of(GoldenCase.Q, GoldenCase.K, GoldenCase.V)) {
            int[] shape = c.storedShape(a), logical = c.logicalShape(a);
            float[] data = new float[Arrays.stream(shape).reduce(1, Math::multiplyExact)];
            for (int i = 0; i < data.length; i++) data[i] = (float) (random.nextDouble() * 4 - 2);
            ElementType type = c.elementTypes().of(a);
            if (type == ElementType.FP32) {
                arrays.put(a, new Npy.Array(shape, data));
                continue;
            }
            Tensor drawn = c.storage().wrap(data, logical[0], logical[1], logical[2], logical[3]);
            Descale descale = type.isFp8() ? Descale.quantising(drawn, type, r.perHeadDescale()) : null;
            Tensor stored = c.storage().allocate(type, descale, logical[0], logical[1], logical[2], logical[3]);
            stored.copyFrom(drawn);
            if (descale != null) descales.put(a, descale);
            arrays.put(a, array(stored, shape));
        }
        if (c.name().contains("attn_mask")) arrays.put(GoldenCase.MASK, exampleMask(c, c.name().endsWith("_bool")));
        GoldenTypes types = c.elementTypes().withDescales(descales);
        c = c.with(types, c.atol(), c.rtol(), null);
        AttentionProblem problem = Golden.problem(c, arrays);
        arrays.put(GoldenCase.OUT, oracleOutput(c, problem));
        ElementType out = types.tensors().output();
        if (types.equals(GoldenTypes.FP32)) {
            return c.with(types, c.atol(), c.rtol(), "attest oracle (double-double), rounded to float32");
        }
        double[] tolerance = tolerance(problem, out);
        return c.with(types, tolerance[0], tolerance[1], String.format(Locale.ROOT, "attest oracle (double-double)"
                + " from the stored inputs, rounded to %s; atol = %s x the error of a naive fp32-accumulating kernel"
                + " + the smallest %s subnormal, rtol = one %s ulp (docs/precision.md, golden files)", out,
                fmt(AttentionContract.OUTPUT_K), out, out));
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
        double[] exact = Oracle.attention(p).values();    // logical BHSD order
        ElementType type = c.elementTypes().tensors().output();
        Tensor out = c.storage().allocate(type, null, c.batch(), c.qHeads(), c.qLength(), c.vHeadDim());
        int k = 0;
        for (int b = 0; b < c.batch(); b++)
            for (int h = 0; h < c.qHeads(); h++)
                for (int s = 0; s < c.qLength(); s++)
                    for (int d = 0; d < c.vHeadDim(); d++) {
                        int i = out.index(b, h, s, d);
                        // straight from double to the type: through float first would round twice
                        if (type == ElementType.FP32) out.data()[i] = (float) exact[k++];
                        else out.bits16()[i] = (short) type.encode(exact[k++]);
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

    /** A mask over (Sq, Skv) for a boolean case, or over (B, 1, Sq, Skv) with -inf entries for an additive one. */
    private static Npy.Array exampleMask(GoldenCase c, boolean bool) {
        int[] shape = bool ? new int[]{c.qLength(), c.kvLength()} : new int[]{c.batch(), 1, c.qLength(), c.kvLength()};
        float[] m = new float[Arrays.stream(shape).reduce(1, Math::multiplyExact)];
        for (int i = 0; i < m.length; i++) {
            int key = i % c.kvLength();
            boolean keep = key == 0 || (i * 7 + 3) % 5 != 0;   // key 0 always kept: no row is fully masked
            m[i] = bool ? (keep ? 1 : 0) : keep ? (float) Math.cos(i) : Float.NEGATIVE_INFINITY;
        }
        return new Npy.Array(shape, m, bool ? Npy.Dtype.BOOL : Npy.Dtype.FLOAT32);
    }
}
