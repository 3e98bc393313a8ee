package dev.attest.reports.golden;

import dev.attest.reference.Window;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * What golden format 2 adds to a case's options (docs/golden.md): a sliding window, an explicit or per-sequence
 * alignment, the stage of the scores it expects, and the cache steps of a case that runs through a KV cache.
 *
 * <pre>
 *   "window":     {"left": 3, "right": 0}   null on a side for unbounded; "alignment" inside it when "causal" is null
 *   "offset":     5                          with "causal" (or the window's "alignment") "offset"
 *   "scoreStage": "logits" | "softcapped" | "biased" | "probabilities"    with the array "scores"
 *   "cache":      {"chunks": [[nq, nk], ...]}   appended in order; without "chunks" one chunk of every row
 * </pre>
 *
 * @param window          the sliding window, or null
 * @param windowAlignment the window's alignment when the case is not causal, else null (the causal one is shared)
 * @param offset          the offset of alignment "offset", else null
 * @param scoreStage      the stage of the expected scores, or null
 * @param chunks          a cache case's steps, {nq, nk} each; null for a case that is not a cache case
 * @param offsets         alignment "per_sequence"'s offsets, read from the array {@code offsets} (not the JSON)
 */
public record V2Options(Window window, String windowAlignment, Integer offset, String scoreStage, int[][] chunks,
                        int[] offsets) {
    /** Alignments a case that is not a cache case may name, in "causal" or in the window. */
    static final List<String> ALIGNMENTS = List.of("top_left", "bottom_right", "key_lengths", "offset",
            "per_sequence");
    /** The one alignment of a cache case: a chunk's query t sits at its sequence's past length plus t. */
    static final String PAST = "past";
    static final List<String> STAGES = List.of("logits", "softcapped", "biased", "probabilities");

    /** A format-2 case with none of these options. */
    static final V2Options NONE = new V2Options(null, null, null, null, null, null);

    public boolean cache() {
        return chunks != null;
    }

    V2Options withOffsets(int[] newOffsets) {
        return new V2Options(window, windowAlignment, offset, scoreStage, chunks, newOffsets);
    }

    /**
     * Reads the format-2 fields of {@code file}; {@code causal} is its "causal" value, already checked to be one of
     * the names this case may use.
     */
    static V2Options parse(JsonNode json, String file, String causal, int qLength, int kvLength) {
        int[][] chunks = json.has("cache") && !json.get("cache").isNull()
                ? chunks(json.get("cache"), file, qLength, kvLength) : null;
        Window window = null;
        String windowAlignment = null;
        JsonNode w = json.get("window");
        if (w != null && !w.isNull()) {
            if (!w.isObject()) throw new GoldenException(file + ": field 'window' must be an object {left, right}");
            for (String f : w.propertyNames()) {
                if (!List.of("left", "right", "alignment").contains(f)) {
                    throw new GoldenException(file + ": unknown field 'window." + f + "' (known: alignment, left,"
                            + " right)");
                }
            }
            window = new Window(side(w, file, "left"), side(w, file, "right"));
            JsonNode a = w.get("alignment");
            if (a != null && !a.isNull()) {
                if (causal != null || chunks != null) {
                    throw new GoldenException(file + ": field 'window.alignment' is for a case that is neither causal"
                            + " nor a cache case (the window shares " + (chunks != null ? "the cache's" : "'causal'")
                            + " alignment)");
                }
                if (!a.isString() || !ALIGNMENTS.contains(a.stringValue())) {
                    throw new GoldenException(file + ": field 'window.alignment' must be one of " + ALIGNMENTS
                            + ", got " + a);
                }
                windowAlignment = a.stringValue();
            } else if (causal == null && chunks == null) {
                throw new GoldenException(file + ": field 'window' needs an 'alignment' (one of " + ALIGNMENTS
                        + ") when 'causal' is null");
            }
        }
        String alignment = causal != null ? causal : windowAlignment;
        Integer offset = null;
        JsonNode o = json.get("offset");
        if ("offset".equals(alignment)) {
            if (o == null || !o.isIntegralNumber() || !o.canConvertToInt()) {
                throw new GoldenException(file + ": alignment \"offset\" needs an integer field 'offset', got " + o);
            }
            offset = o.intValue();
        } else if (o != null && !o.isNull()) {
            throw new GoldenException(file + ": field 'offset' is only for alignment \"offset\" (the alignment is "
                    + (alignment == null ? "none" : "\"" + alignment + "\"") + ")");
        }
        String stage = null;
        JsonNode s = json.get("scoreStage");
        if (s != null && !s.isNull()) {
            if (!s.isString() || !STAGES.contains(s.stringValue())) {
                throw new GoldenException(file + ": field 'scoreStage' must be one of " + STAGES + ", got " + s);
            }
            stage = s.stringValue();
        }
        return new V2Options(window, windowAlignment, offset, stage, chunks, null);
    }

    private static Integer side(JsonNode w, String file, String side) {
        JsonNode n = w.get(side);
        if (n == null || n.isNull()) return Window.UNBOUNDED;
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 0) {
            throw new GoldenException(file + ": field 'window." + side + "' must be null (unbounded) or an integer"
                    + " >= 0, got " + n);
        }
        return n.intValue();
    }

    /** The "cache" object: its chunks, each {nq, nk}, summing to the case's query and key lengths. */
    private static int[][] chunks(JsonNode cache, String file, int qLength, int kvLength) {
        if (!cache.isObject()) throw new GoldenException(file + ": field 'cache' must be an object {chunks}");
        for (String f : cache.propertyNames()) {
            if (!f.equals("chunks")) throw new GoldenException(file + ": unknown field 'cache." + f + "' (known: chunks)");
        }
        JsonNode list = cache.get("chunks");
        if (list == null || list.isNull()) return new int[][]{{qLength, kvLength}};
        if (!list.isArray() || list.isEmpty()) {
            throw new GoldenException(file + ": field 'cache.chunks' must be a non-empty array of [queries, keys]");
        }
        List<int[]> out = new ArrayList<>();
        long queries = 0, keys = 0;
        for (int i = 0; i < list.size(); i++) {
            JsonNode c = list.get(i);
            if (!c.isArray() || c.size() != 2 || !natural(c.get(0)) || !natural(c.get(1))
                    || c.get(0).intValue() + c.get(1).intValue() == 0) {
                throw new GoldenException(file + ": cache.chunks[" + i + "] must be [queries, keys], two integers"
                        + " >= 0 not both 0, got " + c);
            }
            out.add(new int[]{c.get(0).intValue(), c.get(1).intValue()});
            queries += c.get(0).intValue();
            keys += c.get(1).intValue();
        }
        if (queries != qLength || keys != kvLength) {
            throw new GoldenException(file + ": cache.chunks hold " + queries + " queries and " + keys + " keys but"
                    + " qLength = " + qLength + " and kvLength = " + kvLength);
        }
        return out.toArray(int[][]::new);
    }

    private static boolean natural(JsonNode n) {
        return n != null && n.isIntegralNumber() && n.canConvertToInt() && n.intValue() >= 0;
    }
}
