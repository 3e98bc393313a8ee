package dev.attest.reports.golden;

import dev.attest.reference.Descale;
import dev.attest.reference.ElementType;
import dev.attest.reference.InvalidProblemException;
import dev.attest.spi.TensorTypes;
import tools.jackson.databind.JsonNode;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The element types of a golden case's arrays and the descales of its fp8 tensors: the optional {@code "types"} and
 * {@code "descales"} objects of {@code NAME.json}, and the one .npy dtype each type is stored as.
 *
 * <pre>
 *   "types":    {"q": "bf16", "k": "fp8_e4m3", "v": "fp8_e4m3", "out": "bf16"}     (all four, or no "types": fp32)
 *               optional "attn_mask": "fp32" | "fp16" | "bf16"  (an additive mask's type; without it <f4, <f8, |b1)
 *   "descales": {"k": 0.0045, "v": [0.01, 0.02]}      a number (the tensor), [H] (per head of that tensor) or
 *               [[H] x B] (per batch and head, FlashAttention 3's q/k/v_descale): stored fp8 x factor = value
 * </pre>
 *
 * <table>
 *   <caption>dtype of each type</caption>
 *   <tr><td>fp32</td><td>{@code <f4} or {@code <f8} (narrowed to float32 when read)</td></tr>
 *   <tr><td>fp16</td><td>{@code <f2}</td></tr>
 *   <tr><td>bf16</td><td>{@code <u2}: NumPy has no bf16, and ml_dtypes' bfloat16 saves as {@code |V2}, which names
 *   no format; its bits as uint16, with the type here, is how ml_dtypes users exchange it</td></tr>
 *   <tr><td>fp8_e4m3, fp8_e5m2</td><td>{@code |u1} (the bits; which format, only this file says)</td></tr>
 * </table>
 * One dtype per type, so a file whose arrays disagree with its JSON (a case written before its types were named,
 * bf16 bits read as fp16) is refused instead of reinterpreted.
 *
 * @param tensors  the types of q, k, v and out
 * @param mask     the type of an additive attn_mask, or null: float32/float64 additive or bool, as the dtype says
 * @param descales the descale of each fp8 tensor among q, k and v, by array name
 */
public record GoldenTypes(TensorTypes tensors, ElementType mask, Map<String, Descale> descales) {
    /** What a case without {@code "types"} means: every tensor fp32. */
    public static final GoldenTypes FP32 = new GoldenTypes(TensorTypes.FP32, null, Map.of());
    private static final List<String> TENSORS = List.of(GoldenCase.Q, GoldenCase.K, GoldenCase.V, GoldenCase.OUT);
    private static final List<String> DESCALED = List.of(GoldenCase.Q, GoldenCase.K, GoldenCase.V);

    public GoldenTypes {
        descales = Map.copyOf(descales);
    }

    /** Every tensor in {@code types}; the descales are added by {@link #withDescales}. */
    public static GoldenTypes of(TensorTypes types) {
        return new GoldenTypes(types, null, Map.of());
    }

    public GoldenTypes withDescales(Map<String, Descale> newDescales) {
        return new GoldenTypes(tensors, mask, newDescales);
    }

    /**
     * The element type of q, k, v or out; a cache's past and present K/V have the type of k and v (the cache's
     * storage), the auxiliary outputs lse and scores are fp32.
     */
    public ElementType of(String array) {
        return switch (array) {
            case GoldenCase.Q -> tensors.query();
            case GoldenCase.K, GoldenCase.PAST_KEY, GoldenCase.PRESENT_KEY -> tensors.key();
            case GoldenCase.V, GoldenCase.PAST_VALUE, GoldenCase.PRESENT_VALUE -> tensors.value();
            case GoldenCase.OUT -> tensors.output();
            case GoldenCase.LSE, GoldenCase.SCORES -> ElementType.FP32;
            default -> throw new IllegalArgumentException(array);
        };
    }

    /** The descale of an fp8 tensor, or null. */
    public Descale descale(String array) {
        return descales.get(array);
    }

    /** The dtypes a tensor of {@code type} may be stored as. */
    static Set<Npy.Dtype> dtypes(ElementType type) {
        return switch (type) {
            case FP32 -> Set.of(Npy.Dtype.FLOAT32, Npy.Dtype.FLOAT64);
            case FP16 -> Set.of(Npy.Dtype.FLOAT16);
            case BF16 -> Set.of(Npy.Dtype.UINT16);
            case FP8_E4M3, FP8_E5M2 -> Set.of(Npy.Dtype.UINT8);
        };
    }

    /** The dtype a tensor of {@code type} is written as. */
    static Npy.Dtype dtype(ElementType type) {
        return type == ElementType.FP32 ? Npy.Dtype.FLOAT32 : dtypes(type).iterator().next();
    }

    /** Why {@code array} may not be stored as {@code dtype} in this case ({@code file}), or null when it may. */
    String dtypeRefusal(String array, Npy.Dtype dtype, String file) {
        boolean mask = array.equals(GoldenCase.MASK);
        Set<Npy.Dtype> allowed;
        String declared;
        if (array.equals(GoldenCase.KEY_LENGTHS) || array.equals(GoldenCase.OFFSETS)) {
            allowed = Set.of(Npy.Dtype.INT32, Npy.Dtype.INT64);
            declared = "integer";
        } else if (mask && this.mask == null) {
            allowed = Set.of(Npy.Dtype.FLOAT32, Npy.Dtype.FLOAT64, Npy.Dtype.BOOL);
            declared = "fp32 or bool (no \"attn_mask\" in \"types\")";
        } else {
            ElementType type = mask ? this.mask : of(array);
            allowed = dtypes(type);
            declared = type.token() + (tensors.isFp32() && this.mask == null ? " (every array's type without"
                    + " \"types\")" : "");
        }
        if (allowed.contains(dtype)) return null;
        String stored = String.join(" or ", allowed.stream().sorted().map(Npy.Dtype::describe).toList());
        return "array '" + array + "' is " + dtype.describe() + " but " + file + " gives " + array + " the type "
                + declared + ", stored as " + stored;
    }

    /** The {@code "types"} object as written, or null for an all-fp32 case (which has none). */
    Map<String, String> typesJson() {
        if (tensors.isFp32() && mask == null) return null;
        Map<String, String> json = new LinkedHashMap<>();
        for (String array : TENSORS) json.put(array, of(array).token());
        if (mask != null) json.put(GoldenCase.MASK, mask.token());
        return json;
    }

    /** The {@code "descales"} object as written (a number, [H] or [[H] x B]), or null without fp8 tensors. */
    Map<String, Object> descalesJson() {
        if (descales.isEmpty()) return null;
        Map<String, Object> json = new LinkedHashMap<>();
        for (String array : DESCALED) {
            Descale d = descales.get(array);
            if (d == null) continue;
            float[] f = d.factors();
            if (d.perTensor()) json.put(array, f[0]);
            else if (d.batches() == 1) json.put(array, f);
            else json.put(array, java.util.stream.IntStream.range(0, d.batches())
                    .mapToObj(b -> Arrays.copyOfRange(f, b * d.heads(), (b + 1) * d.heads())).toList());
        }
        return json;
    }

    /**
     * Reads {@code "types"} and {@code "descales"} of {@code file} (either may be null: absent); {@code heads} gives
     * each tensor's head count (for per-head descales).
     *
     * @throws GoldenException naming the file and the field
     */
    static GoldenTypes parse(JsonNode types, JsonNode descales, String file, int batch, Map<String, Integer> heads) {
        TensorTypes tensors = TensorTypes.FP32;
        ElementType mask = null;
        if (types != null && !types.isNull()) {
            if (!types.isObject()) throw new GoldenException(file + ": field 'types' must be an object such as"
                    + " {\"q\": \"bf16\", \"k\": \"fp8_e4m3\", \"v\": \"fp8_e4m3\", \"out\": \"bf16\"}, got " + types);
            for (String key : types.propertyNames()) {
                if (!TENSORS.contains(key) && !key.equals(GoldenCase.MASK)) {
                    throw new GoldenException(file + ": unknown array '" + key + "' in 'types' (known: q, k, v, out,"
                            + " attn_mask)");
                }
            }
            ElementType[] t = new ElementType[TENSORS.size()];
            for (int i = 0; i < t.length; i++) {
                String array = TENSORS.get(i);
                if (!types.has(array)) {
                    throw new GoldenException(file + ": 'types' has no '" + array + "' (it names all of q, k, v and"
                            + " out)");
                }
                t[i] = type(types.get(array), file, array);
            }
            if (t[3].isFp8()) {
                throw new GoldenException(file + ": types.out is " + t[3] + "; the output is fp32, fp16 or bf16");
            }
            if (types.has(GoldenCase.MASK)) {
                mask = type(types.get(GoldenCase.MASK), file, GoldenCase.MASK);
                if (mask.isFp8()) {
                    throw new GoldenException(file + ": types.attn_mask is " + mask + "; an additive mask is fp32,"
                            + " fp16 or bf16 (a boolean one is |b1 with no type)");
                }
            }
            tensors = new TensorTypes(t[0], t[1], t[2], t[3]);
        }
        Map<String, Descale> factors = new LinkedHashMap<>();
        if (descales != null && !descales.isNull()) {
            if (!descales.isObject()) throw new GoldenException(file + ": field 'descales' must be an object such as"
                    + " {\"k\": 0.5, \"v\": [0.25, 0.5]}, got " + descales);
            for (String key : descales.propertyNames()) {
                if (!DESCALED.contains(key)) {
                    throw new GoldenException(file + ": unknown array '" + key + "' in 'descales' (q, k and v may"
                            + " be fp8)");
                }
            }
        }
        GoldenTypes parsed = new GoldenTypes(tensors, mask, Map.of());
        for (String array : DESCALED) {
            ElementType type = parsed.of(array);
            JsonNode d = descales == null || descales.isNull() ? null : descales.get(array);
            if (!type.isFp8()) {
                if (d != null) {
                    throw new GoldenException(file + ": descales." + array + " is given but " + array + " is "
                            + type + "; only fp8 tensors have a descale");
                }
                continue;
            }
            if (d == null) {
                throw new GoldenException(file + ": " + array + " is " + type + " but 'descales' has no '" + array
                        + "' (its dequantisation factor: a number, one per head or one per batch and head; 1.0 for"
                        + " none)");
            }
            factors.put(array, descale(d, file, array, batch, heads.get(array)));
        }
        return parsed.withDescales(factors);
    }

    private static ElementType type(JsonNode node, String file, String array) {
        String known = String.join(", ", Arrays.stream(ElementType.values()).map(ElementType::token).toList());
        if (node.isString()) {
            for (ElementType t : ElementType.values()) if (t.token().equals(node.stringValue())) return t;
        }
        throw new GoldenException(file + ": types." + array + " is " + node + ", not one of " + known);
    }

    /** A number, [H] or [[H] x B], each factor finite and > 0 (rounded to float32, the descale's type). */
    private static Descale descale(JsonNode node, String file, String array, int batch, int heads) {
        String expected = "descales." + array + " must be a number > 0, an array of " + heads + " (one per head of "
                + array + ") or an array of " + batch + " arrays of " + heads + " (per batch and head), got ";
        try {
            if (node.isNumber()) return Descale.of(factor(node, file, expected));
            if (!node.isArray()) throw new GoldenException(file + ": " + expected + node);
            boolean nested = node.size() > 0 && node.get(0).isArray();
            int rows = nested ? node.size() : 1;
            if (nested ? rows != batch : node.size() != heads) throw new GoldenException(file + ": " + expected + node);
            float[] f = new float[rows * heads];
            for (int b = 0; b < rows; b++) {
                JsonNode row = nested ? node.get(b) : node;
                if (!row.isArray() || row.size() != heads) throw new GoldenException(file + ": " + expected + node);
                for (int h = 0; h < heads; h++) f[b * heads + h] = factor(row.get(h), file, expected);
            }
            return new Descale(f, rows, heads);
        } catch (InvalidProblemException e) {
            throw new GoldenException(file + ": descales." + array + ": " + e.getMessage());
        }
    }

    private static float factor(JsonNode n, String file, String expected) {
        if (!n.isNumber() || !Double.isFinite(n.doubleValue()) || (float) n.doubleValue() <= 0
                || !Float.isFinite((float) n.doubleValue())) {
            throw new GoldenException(file + ": " + expected + n);
        }
        return (float) n.doubleValue();
    }
}
