package dev.attest.reports.golden;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.InvalidProblemException;
import dev.attest.reference.Layout;
import tools.jackson.databind.JsonNode;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The options of one golden case, {@code NAME.json}: what the arrays in {@code NAME.npz} mean. Every field is
 * checked when read (an unknown field is an error, not ignored: a {@code softcap} Attest did not apply would turn
 * every verdict into nonsense), and each error names the file and the field.
 *
 * @param causal     null (none), "top_left", "bottom_right" or "key_lengths" (bottom-right to each sequence's key
 *                   length: the causal frontier of ONNX opset 24's {@code nonpad_kv_seqlen})
 * @param scale      null for 1/sqrt(Dqk)
 * @param softcap    null for none, else {@code c} in {@code c*tanh(s/c)}
 * @param layout     how q, k, v and out are stored: "BHSD" (the default) or "BSHD"
 * @param keyLengths per-batch count of valid keys (ONNX {@code nonpad_kv_seqlen}), or null
 * @param atol       absolute tolerance: |out - expected| <= atol + rtol * |expected|
 * @param source     where the expected outputs came from (free text)
 * @param elementTypes the element types of the arrays and the descales of the fp8 ones (fields {@code "types"}
 *                   and {@code "descales"}; {@link GoldenTypes#FP32} when the file has neither)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"name", "batch", "qHeads", "kvHeads", "qLength", "kvLength", "qkHeadDim", "vHeadDim", "scale",
        "softcap", "causal", "layout", "keyLengths", "types", "descales", "atol", "rtol", "source"})
public record GoldenCase(String name, int batch, int qHeads, int kvHeads, int qLength, int kvLength, int qkHeadDim,
                         int vHeadDim, Double scale, Double softcap, String causal, String layout, int[] keyLengths,
                         double atol, double rtol, String source, @JsonIgnore GoldenTypes elementTypes) {
    /** The arrays a case may hold; the first four are required. */
    public static final String Q = "q", K = "k", V = "v", OUT = "out", MASK = "attn_mask";
    static final List<String> ARRAYS = List.of(Q, K, V, OUT, MASK);
    /** Elements of one tensor: 2^28 floats (1 GiB) is far past any golden case and still allocatable. */
    static final long MAX_TENSOR = 1L << 28;
    private static final Set<String> REQUIRED = Set.of("batch", "qHeads", "kvHeads", "qLength", "kvLength",
            "qkHeadDim", "vHeadDim", "atol", "rtol");
    private static final Set<String> KNOWN = Set.of("name", "batch", "qHeads", "kvHeads", "qLength", "kvLength",
            "qkHeadDim", "vHeadDim", "scale", "softcap", "causal", "layout", "keyLengths", "types", "descales", "atol",
            "rtol", "source");

    public GoldenCase {
        if (elementTypes == null) elementTypes = GoldenTypes.FP32;
    }

    /** An fp32 case (no {@code "types"}). */
    public GoldenCase(String name, int batch, int qHeads, int kvHeads, int qLength, int kvLength, int qkHeadDim,
                      int vHeadDim, Double scale, Double softcap, String causal, String layout, int[] keyLengths,
                      double atol, double rtol, String source) {
        this(name, batch, qHeads, kvHeads, qLength, kvLength, qkHeadDim, vHeadDim, scale, softcap, causal, layout,
                keyLengths, atol, rtol, source, GoldenTypes.FP32);
    }

    /** The same case with other types, tolerances and source (what export and converters fill in last). */
    public GoldenCase with(GoldenTypes newTypes, double newAtol, double newRtol, String newSource) {
        return new GoldenCase(name, batch, qHeads, kvHeads, qLength, kvLength, qkHeadDim, vHeadDim, scale, softcap,
                causal, layout, keyLengths, newAtol, newRtol, newSource, newTypes);
    }

    @JsonProperty("types")
    Map<String, String> typesJson() {
        return elementTypes.typesJson();
    }

    @JsonProperty("descales")
    Map<String, Object> descalesJson() {
        return elementTypes.descalesJson();
    }

    /** The case's storage layout. */
    public Layout storage() {
        return layout == null ? Layout.BHSD : Layout.valueOf(layout);
    }

    /** The attention spec these options describe (already validated when read). */
    public AttentionSpec spec() {
        AttentionSpec.Builder b = AttentionSpec.builder().batch(batch).heads(qHeads, kvHeads)
                .lengths(qLength, kvLength).headDims(qkHeadDim, vHeadDim);
        if (scale != null) b.scale(scale);
        if (softcap != null) b.softcap(softcap);
        if (causal != null) b.causal(switch (causal) {
            case "top_left" -> Alignment.TOP_LEFT;
            case "key_lengths" -> Alignment.KEY_LENGTHS;
            default -> Alignment.BOTTOM_RIGHT;
        });
        return b.build();
    }

    /** Logical (B, H, S, D) shape of each tensor array. */
    int[] logicalShape(String array) {
        return switch (array) {
            case Q -> new int[]{batch, qHeads, qLength, qkHeadDim};
            case K -> new int[]{batch, kvHeads, kvLength, qkHeadDim};
            case V -> new int[]{batch, kvHeads, kvLength, vHeadDim};
            case OUT -> new int[]{batch, qHeads, qLength, vHeadDim};
            default -> throw new IllegalArgumentException(array);
        };
    }

    /** The shape a tensor array has in the file: its logical shape in the case's layout. */
    int[] storedShape(String array) {
        int[] s = logicalShape(array);
        return storage() == Layout.BSHD ? new int[]{s[0], s[2], s[1], s[3]} : s;
    }

    /**
     * What {@link Npy} accepts for each array of this case (null for an array a case does not have): the dtype its
     * type is stored as ({@link GoldenTypes}), then its shape.
     */
    Npy.HeaderCheck headerCheck(String array) {
        if (!ARRAYS.contains(array)) return null;
        String file = name + ".json";
        java.util.function.Function<long[], String> shapeCheck = shapeCheck(array, file);
        return (dtype, shape) -> {
            String refused = elementTypes.dtypeRefusal(array, dtype, file);
            return refused != null ? refused : shapeCheck.apply(shape);
        };
    }

    private java.util.function.Function<long[], String> shapeCheck(String array, String file) {
        if (array.equals(MASK)) {
            long[] full = {batch, qHeads, qLength, kvLength};
            return shape -> {
                if (shape.length < 1 || shape.length > 4) {
                    return "attn_mask has shape " + Arrays.toString(shape) + "; expected 1 to 4 axes broadcast to"
                            + " (B, Hq, Sq, Skv) = " + Arrays.toString(full);
                }
                for (int i = 0; i < shape.length; i++) {
                    long want = full[4 - shape.length + i];
                    if (shape[i] != 1 && shape[i] != want) {
                        return "attn_mask has shape " + Arrays.toString(shape) + ", which does not broadcast to"
                                + " (B, Hq, Sq, Skv) = " + Arrays.toString(full) + " from " + file;
                    }
                }
                return null;
            };
        }
        int[] want = storedShape(array);
        return shape -> Arrays.equals(shape, Arrays.stream(want).asLongStream().toArray()) ? null
                : "array '" + array + "' has shape " + Arrays.toString(shape) + " but " + file + " says "
                + Arrays.toString(want) + " (" + storage() + ")";
    }

    /**
     * Reads and checks the options of case {@code name} from its JSON tree.
     *
     * @throws GoldenException naming {@code NAME.json} and the field
     */
    static GoldenCase parse(String name, JsonNode json) {
        String file = name + ".json";
        if (json == null || !json.isObject()) throw new GoldenException(file + ": expected a JSON object");
        for (String field : json.propertyNames()) {
            if (!KNOWN.contains(field)) {
                throw new GoldenException(file + ": unknown field '" + field + "' (known: " + String.join(", ",
                        KNOWN.stream().sorted().toList()) + ")");
            }
        }
        for (String field : REQUIRED) {
            if (!json.has(field) || json.get(field).isNull()) {
                throw new GoldenException(file + ": required field '" + field + "' is missing");
            }
        }
        String declared = text(json, file, "name");
        if (declared != null && !declared.equals(name)) {
            throw new GoldenException(file + ": field 'name' is \"" + declared + "\" but the file is " + file);
        }
        Map<String, Integer> dims = new LinkedHashMap<>();
        for (String f : List.of("batch", "qHeads", "kvHeads", "qLength", "kvLength", "qkHeadDim", "vHeadDim")) {
            dims.put(f, positiveInt(json, file, f));
        }
        String causal = text(json, file, "causal");
        if (causal != null && !List.of("top_left", "bottom_right", "key_lengths").contains(causal)) {
            throw new GoldenException(file + ": field 'causal' must be null, \"top_left\", \"bottom_right\" or"
                    + " \"key_lengths\", got \"" + causal + "\"");
        }
        String layout = text(json, file, "layout");
        if (layout != null && !layout.equals("BHSD") && !layout.equals("BSHD")) {
            throw new GoldenException(file + ": field 'layout' must be \"BHSD\" or \"BSHD\", got \"" + layout + "\"");
        }
        int[] keyLengths = null;
        JsonNode kl = json.get("keyLengths");
        if (kl != null && !kl.isNull()) {
            if (!kl.isArray()) throw new GoldenException(file + ": field 'keyLengths' must be an array of integers");
            keyLengths = new int[kl.size()];
            for (int i = 0; i < kl.size(); i++) {
                if (!kl.get(i).isIntegralNumber() || !kl.get(i).canConvertToInt()) {
                    throw new GoldenException(file + ": keyLengths[" + i + "] must be an integer, got " + kl.get(i));
                }
                keyLengths[i] = kl.get(i).intValue();
            }
        }
        GoldenTypes types = GoldenTypes.parse(json.get("types"), json.get("descales"), file, dims.get("batch"),
                Map.of(Q, dims.get("qHeads"), K, dims.get("kvHeads"), V, dims.get("kvHeads")));
        GoldenCase c = new GoldenCase(name, dims.get("batch"), dims.get("qHeads"), dims.get("kvHeads"),
                dims.get("qLength"), dims.get("kvLength"), dims.get("qkHeadDim"), dims.get("vHeadDim"),
                positive(json, file, "scale"), positive(json, file, "softcap"), causal, layout, keyLengths,
                tolerance(json, file, "atol"), tolerance(json, file, "rtol"), text(json, file, "source"), types);
        for (String array : List.of(Q, K, V, OUT)) {
            long n = Arrays.stream(c.logicalShape(array)).asLongStream().reduce(1, Math::multiplyExact);
            if (n > MAX_TENSOR) {
                throw new GoldenException(file + ": array '" + array + "' would hold " + n + " elements, more than a"
                        + " golden case may (" + MAX_TENSOR + ")");
            }
        }
        try {
            c.spec();    // the spec's own rules: Hq a multiple of Hkv, ...
        } catch (InvalidProblemException e) {
            throw new GoldenException(file + ": " + e.getMessage());
        }
        if (keyLengths != null) {
            if (keyLengths.length != c.batch()) {
                throw new GoldenException(file + ": field 'keyLengths' has " + keyLengths.length
                        + " entries but batch is " + c.batch());
            }
            for (int i = 0; i < keyLengths.length; i++) {
                if (keyLengths[i] < 0 || keyLengths[i] > c.kvLength()) {
                    throw new GoldenException(file + ": keyLengths[" + i + "] is " + keyLengths[i]
                            + ", outside [0, kvLength = " + c.kvLength() + "]");
                }
            }
        }
        return c;
    }

    private static String text(JsonNode json, String file, String field) {
        JsonNode n = json.get(field);
        if (n == null || n.isNull()) return null;
        if (!n.isString()) throw new GoldenException(file + ": field '" + field + "' must be a string, got " + n);
        return n.stringValue();
    }

    private static int positiveInt(JsonNode json, String file, String field) {
        JsonNode n = json.get(field);
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 1 || n.intValue() > (1 << 24)) {
            throw new GoldenException(file + ": field '" + field + "' must be an integer from 1 to " + (1 << 24)
                    + ", got " + n);
        }
        return n.intValue();
    }

    private static Double positive(JsonNode json, String file, String field) {
        JsonNode n = json.get(field);
        if (n == null || n.isNull()) return null;
        if (!n.isNumber() || !Double.isFinite(n.doubleValue()) || n.doubleValue() <= 0) {
            throw new GoldenException(file + ": field '" + field + "' must be null or a finite number > 0, got " + n);
        }
        return n.doubleValue();
    }

    private static double tolerance(JsonNode json, String file, String field) {
        JsonNode n = json.get(field);
        if (!n.isNumber() || !Double.isFinite(n.doubleValue()) || n.doubleValue() < 0) {
            throw new GoldenException(file + ": field '" + field + "' must be a finite number >= 0, got " + n);
        }
        return n.doubleValue();
    }
}
