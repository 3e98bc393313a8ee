package dev.attest.reports.golden;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.InvalidProblemException;
import dev.attest.reference.Layout;
import dev.attest.reference.Window;
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
 * @param v2         what format 2 adds ({@code "format": 2}: window, offsets, scores, cache steps), or null for a
 *                   format-1 case; in format 2 the key lengths come from the array {@code key_lengths}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"name", "batch", "qHeads", "kvHeads", "qLength", "kvLength", "qkHeadDim", "vHeadDim", "scale",
        "softcap", "causal", "layout", "keyLengths", "types", "descales", "atol", "rtol", "source"})
public record GoldenCase(String name, int batch, int qHeads, int kvHeads, int qLength, int kvLength, int qkHeadDim,
                         int vHeadDim, Double scale, Double softcap, String causal, String layout, int[] keyLengths,
                         double atol, double rtol, String source, @JsonIgnore GoldenTypes elementTypes,
                         @JsonIgnore V2Options v2) {
    /** The arrays a case may hold; the first four are required. */
    public static final String Q = "q", K = "k", V = "v", OUT = "out", MASK = "attn_mask";
    /** Format 2's arrays: integer key lengths and offsets, a cache's past and present K/V, auxiliary outputs. */
    public static final String KEY_LENGTHS = "key_lengths", OFFSETS = "offsets", PAST_KEY = "past_key",
            PAST_VALUE = "past_value", PRESENT_KEY = "present_key", PRESENT_VALUE = "present_value", LSE = "lse",
            SCORES = "scores";
    static final List<String> ARRAYS = List.of(Q, K, V, OUT, MASK);
    static final List<String> ARRAYS_V2 = List.of(Q, K, V, OUT, MASK, KEY_LENGTHS, OFFSETS, PAST_KEY, PAST_VALUE,
            PRESENT_KEY, PRESENT_VALUE, LSE, SCORES);
    /** The arrays whose sequence axis a cache's past length sets: checked once every header is read. */
    static final List<String> PAST_SIZED = List.of(PAST_KEY, PAST_VALUE, PRESENT_KEY, PRESENT_VALUE, SCORES);
    /** Elements of one tensor: 2^28 floats (1 GiB) is far past any golden case and still allocatable. */
    static final long MAX_TENSOR = 1L << 28;
    private static final Set<String> REQUIRED = Set.of("batch", "qHeads", "kvHeads", "qLength", "kvLength",
            "qkHeadDim", "vHeadDim", "atol", "rtol");
    private static final Set<String> KNOWN = Set.of("name", "batch", "qHeads", "kvHeads", "qLength", "kvLength",
            "qkHeadDim", "vHeadDim", "scale", "softcap", "causal", "layout", "keyLengths", "types", "descales", "atol",
            "rtol", "source");
    private static final Set<String> KNOWN_V2 = Set.of("format", "name", "batch", "qHeads", "kvHeads", "qLength",
            "kvLength", "qkHeadDim", "vHeadDim", "scale", "softcap", "causal", "layout", "window", "offset",
            "scoreStage", "cache", "types", "descales", "atol", "rtol", "source");

    public GoldenCase {
        if (elementTypes == null) elementTypes = GoldenTypes.FP32;
    }

    /** A format-1 case. */
    public GoldenCase(String name, int batch, int qHeads, int kvHeads, int qLength, int kvLength, int qkHeadDim,
                      int vHeadDim, Double scale, Double softcap, String causal, String layout, int[] keyLengths,
                      double atol, double rtol, String source, GoldenTypes elementTypes) {
        this(name, batch, qHeads, kvHeads, qLength, kvLength, qkHeadDim, vHeadDim, scale, softcap, causal, layout,
                keyLengths, atol, rtol, source, elementTypes, null);
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
                causal, layout, keyLengths, newAtol, newRtol, newSource, newTypes, v2);
    }

    /** The same case in format 2 with {@code options} (key lengths and offsets as the arrays hold them). */
    public GoldenCase withV2(V2Options options, int[] newKeyLengths) {
        return new GoldenCase(name, batch, qHeads, kvHeads, qLength, kvLength, qkHeadDim, vHeadDim, scale, softcap,
                causal, layout, newKeyLengths, atol, rtol, source, elementTypes, options);
    }

    /** Whether the case runs through a KV cache (format 2's "cache"). */
    @JsonIgnore
    public boolean isCache() {
        return v2 != null && v2.cache();
    }

    /** The arrays this case's format allows. */
    List<String> arrays() {
        return v2 == null ? ARRAYS : ARRAYS_V2;
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
        Window window = v2 == null ? null : v2.window();
        // a cache replaces the alignment by its own (a chunk's queries sit after its sequence's past)
        String named = isCache() ? "top_left" : causal != null ? causal : v2 == null ? null : v2.windowAlignment();
        if (causal != null || window != null) b.masking(causal != null, alignment(named), window);
        return b.build();
    }

    private Alignment alignment(String named) {
        return switch (named) {
            case "top_left" -> Alignment.TOP_LEFT;
            case "key_lengths" -> Alignment.KEY_LENGTHS;
            case "offset" -> Alignment.offset(v2.offset());
            case "per_sequence" -> {
                if (v2.offsets() == null) throw new GoldenException(name + ".npz: alignment \"per_sequence\" needs the"
                        + " array 'offsets' (B,)");
                yield Alignment.perSequence(v2.offsets());
            }
            default -> Alignment.BOTTOM_RIGHT;
        };
    }

    /** Logical (B, H, S, D) shape of each tensor array. */
    int[] logicalShape(String array) {
        return switch (array) {
            case Q -> new int[]{batch, qHeads, qLength, qkHeadDim};
            case K -> new int[]{batch, kvHeads, kvLength, qkHeadDim};
            case V -> new int[]{batch, kvHeads, kvLength, vHeadDim};
            case OUT -> new int[]{batch, qHeads, qLength, vHeadDim};
            // the sequence axis of these is the past length (past), past + kvLength (present, scores): -1 here
            case PAST_KEY, PRESENT_KEY -> new int[]{batch, kvHeads, -1, qkHeadDim};
            case PAST_VALUE, PRESENT_VALUE -> new int[]{batch, kvHeads, -1, vHeadDim};
            case LSE -> new int[]{batch, qHeads, qLength};
            case SCORES -> new int[]{batch, qHeads, qLength, isCache() ? -1 : kvLength};
            case KEY_LENGTHS, OFFSETS -> new int[]{batch};
            default -> throw new IllegalArgumentException(array);
        };
    }

    /** The shape a tensor array has in the file: its logical shape in the case's layout. */
    int[] storedShape(String array) {
        int[] s = logicalShape(array);
        boolean layered = List.of(Q, K, V, OUT, PAST_KEY, PAST_VALUE, PRESENT_KEY, PRESENT_VALUE).contains(array);
        return storage() == Layout.BSHD && layered ? new int[]{s[0], s[2], s[1], s[3]} : s;
    }

    /**
     * What {@link Npy} accepts for each array of this case (null for an array a case does not have): the dtype its
     * type is stored as ({@link GoldenTypes}), then its shape.
     */
    Npy.HeaderCheck headerCheck(String array) {
        if (!arrays().contains(array)) return null;
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
                    // a cache case's columns are absolute key positions, past + kvLength: checked with the past
                    if (isCache() && i == shape.length - 1) continue;
                    if (shape[i] != 1 && shape[i] != want) {
                        return "attn_mask has shape " + Arrays.toString(shape) + ", which does not broadcast to"
                                + " (B, Hq, Sq, Skv) = " + Arrays.toString(full) + " from " + file;
                    }
                }
                return null;
            };
        }
        int[] want = storedShape(array);
        return shape -> {
            boolean fits = shape.length == want.length;
            for (int i = 0; fits && i < want.length; i++) fits = want[i] < 0 ? shape[i] >= 0 : shape[i] == want[i];
            String wanted = Arrays.toString(want).replace("-1", "S");
            return fits ? null : "array '" + array + "' has shape " + Arrays.toString(shape) + " but " + file
                    + " says " + wanted + (want.length == 4 ? " (" + storage() + ")" : "");
        };
    }

    /**
     * Reads and checks the options of case {@code name} from its JSON tree.
     *
     * @throws GoldenException naming {@code NAME.json} and the field
     */
    static GoldenCase parse(String name, JsonNode json) {
        String file = name + ".json";
        if (json == null || !json.isObject()) throw new GoldenException(file + ": expected a JSON object");
        int format = format(json, file);
        Set<String> known = format == 2 ? KNOWN_V2 : KNOWN;
        for (String field : json.propertyNames()) {
            if (!known.contains(field)) {
                String hint = format == 1 && KNOWN_V2.contains(field) ? "; it is a format-2 field: add \"format\": 2"
                        : format == 2 && field.equals("keyLengths") ? "; format 2 holds key lengths in the array"
                        + " 'key_lengths'" : "";
                throw new GoldenException(file + ": unknown field '" + field + "' (known: " + String.join(", ",
                        known.stream().sorted().toList()) + ")" + hint);
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
        boolean cache = format == 2 && json.has("cache") && !json.get("cache").isNull();
        List<String> causals = format == 1 ? List.of("top_left", "bottom_right", "key_lengths")
                : cache ? List.of(V2Options.PAST) : V2Options.ALIGNMENTS;
        if (causal != null && !causals.contains(causal)) {
            throw new GoldenException(file + ": field 'causal' must be null or one of " + causals
                    + (cache ? " (a cache case's queries sit after their sequence's past)" : "") + ", got \""
                    + causal + "\"");
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
        V2Options v2 = format == 2 ? V2Options.parse(json, file, causal, dims.get("qLength"), dims.get("kvLength"))
                : null;
        if (cache && types.tensors().key().isFp8() || cache && types.tensors().value().isFp8()) {
            throw new GoldenException(file + ": a cache case stores K and V as fp8, which a cache's past and present"
                    + " cannot carry (no per-block descale): use fp32, fp16 or bf16");
        }
        GoldenCase c = new GoldenCase(name, dims.get("batch"), dims.get("qHeads"), dims.get("kvHeads"),
                dims.get("qLength"), dims.get("kvLength"), dims.get("qkHeadDim"), dims.get("vHeadDim"),
                positive(json, file, "scale"), positive(json, file, "softcap"), causal, layout, keyLengths,
                tolerance(json, file, "atol"), tolerance(json, file, "rtol"), text(json, file, "source"), types, v2);
        for (String array : List.of(Q, K, V, OUT)) {
            long n = Arrays.stream(c.logicalShape(array)).asLongStream().reduce(1, Math::multiplyExact);
            if (n > MAX_TENSOR) {
                throw new GoldenException(file + ": array '" + array + "' would hold " + n + " elements, more than a"
                        + " golden case may (" + MAX_TENSOR + ")");
            }
        }
        try {
            // the spec's own rules: Hq a multiple of Hkv, ... (per-sequence offsets come with the arrays)
            if (v2 == null || !"per_sequence".equals(causal != null ? causal : v2.windowAlignment())) c.spec();
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

    /** The case's format: 1 without a "format" field, else the field, which must be 1 or 2. */
    private static int format(JsonNode json, String file) {
        JsonNode n = json.get("format");
        if (n == null) return 1;
        if (!n.isIntegralNumber() || (n.intValue() != 1 && n.intValue() != 2)) {
            throw new GoldenException(file + ": field 'format' must be 1 or 2 (this Attest reads golden formats 1"
                    + " and 2), got " + n);
        }
        return n.intValue();
    }

    /**
     * The case as format-2 JSON: the format first, then the fields of format 1 (key lengths go to the array
     * {@code key_lengths}), then format 2's.
     */
    public tools.jackson.databind.node.ObjectNode toJsonV2() {
        tools.jackson.databind.node.ObjectNode json = dev.attest.reports.model.ReportJson.MAPPER.createObjectNode();
        json.put("format", 2);
        tools.jackson.databind.node.ObjectNode fields = dev.attest.reports.model.ReportJson.MAPPER.valueToTree(this);
        fields.remove("keyLengths");
        json.setAll(fields);
        V2Options o = v2 == null ? V2Options.NONE : v2;
        if (o.window() != null) {
            tools.jackson.databind.node.ObjectNode w = json.putObject("window");
            if (o.window().left() == Window.UNBOUNDED) w.putNull("left");
            else w.put("left", o.window().left());
            if (o.window().right() == Window.UNBOUNDED) w.putNull("right");
            else w.put("right", o.window().right());
            if (o.windowAlignment() != null) w.put("alignment", o.windowAlignment());
        }
        if (o.offset() != null) json.put("offset", o.offset());
        if (o.scoreStage() != null) json.put("scoreStage", o.scoreStage());
        if (o.cache()) {
            tools.jackson.databind.node.ArrayNode chunks = json.putObject("cache").putArray("chunks");
            for (int[] c : o.chunks()) chunks.addArray().add(c[0]).add(c[1]);
        }
        return json;
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
