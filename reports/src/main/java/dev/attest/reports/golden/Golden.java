package dev.attest.reports.golden;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Descale;
import dev.attest.reference.ElementType;
import dev.attest.reference.InvalidProblemException;
import dev.attest.reference.Mask;
import dev.attest.reference.Tensor;
import dev.attest.reports.model.ReportJson;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Golden vectors: per case {@code NAME.npz} (arrays q, k, v, out and an optional attn_mask) and {@code NAME.json}
 * ({@link GoldenCase}, the options; {@link GoldenTypes}, the element types). This class reads them: each array
 * becomes a tensor of the case's own type, the stored bits as they are ({@link GoldenExport} writes them).
 */
public final class Golden {
    private Golden() {
    }

    /**
     * A case read from disk and checked: its options and the problem its arrays make, with the expected output;
     * format 2's expected log-sum-exp and scores (null when the case has none) and, for a cache case, the steps a
     * cache runs ({@code problem} is then its first step as one problem).
     */
    public record Loaded(GoldenCase options, AttentionProblem problem, Tensor expected, Tensor expectedLse,
                         Tensor expectedScores, GoldenCachePlan cache) {
        public Loaded(GoldenCase options, AttentionProblem problem, Tensor expected) {
            this(options, problem, expected, null, null, null);
        }
    }

    /** The names of the cases in {@code dir}: every NAME with a NAME.json or a NAME.npz, sorted. */
    public static List<String> caseNames(Path dir) {
        if (!Files.isDirectory(dir)) throw new GoldenException(dir + ": no such directory");
        try (Stream<Path> files = Files.list(dir)) {
            TreeSet<String> names = new TreeSet<>();
            files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".json") || f.endsWith(".npz"))
                    .forEach(f -> names.add(f.substring(0, f.length() - 5 + (f.endsWith(".npz") ? 1 : 0))));
            if (names.isEmpty()) throw new GoldenException(dir + ": no golden cases (NAME.json + NAME.npz) in it");
            return List.copyOf(names);
        } catch (IOException e) {
            throw new GoldenException(dir + ": cannot list (" + e.getMessage() + ")");
        }
    }

    /**
     * Reads and checks case {@code name} of {@code dir}: options, array names, each array's dtype against its type
     * and its shape (before any data is read), and the problem they make. Each call reads the files afresh, so no two callers share an array.
     *
     * @throws GoldenException one line naming the file, field or array
     */
    public static Loaded load(Path dir, String name) {
        Path json = dir.resolve(name + ".json"), npz = dir.resolve(name + ".npz");
        if (!Files.isRegularFile(json)) throw new GoldenException(name + ".npz has no " + name + ".json beside it");
        if (!Files.isRegularFile(npz)) throw new GoldenException(name + ".json has no " + name + ".npz beside it");
        JsonNode tree;
        try {
            tree = ReportJson.MAPPER.readTree(Files.readString(json));
        } catch (IOException | RuntimeException e) {
            throw new GoldenException(name + ".json: not valid JSON (" + firstLine(e.getMessage()) + ")");
        }
        GoldenCase c = GoldenCase.parse(name, tree);
        Map<String, Npy.Array> arrays;
        try {
            arrays = Npy.readNpz(npz, c::headerCheck);
        } catch (IOException e) {
            throw new GoldenException(firstLine(e.getMessage()));
        }
        for (String required : List.of(GoldenCase.Q, GoldenCase.K, GoldenCase.V, GoldenCase.OUT)) {
            if (!arrays.containsKey(required)) {
                throw new GoldenException(name + ".npz: no array '" + required + "' (has " + arrays.keySet() + ")");
            }
        }
        try {
            if (c.v2() != null) c = withIntegerArrays(c, arrays);
            Tensor expected = tensor(c, GoldenCase.OUT, arrays.get(GoldenCase.OUT));
            Tensor lse = auxiliary(c, arrays, GoldenCase.LSE), scores = auxiliary(c, arrays, GoldenCase.SCORES);
            if (scores != null && c.v2().scoreStage() == null) {
                throw new GoldenException(name + ".json: the array 'scores' needs the field 'scoreStage'");
            }
            if (scores == null && c.v2() != null && c.v2().scoreStage() != null) {
                throw new GoldenException(name + ".json: field 'scoreStage' is set but " + name + ".npz has no array"
                        + " 'scores'");
            }
            if (c.isCache()) {
                GoldenCachePlan plan = GoldenCachePlan.of(c, arrays);
                if (scores != null && scores.dim(3) != plan.steps().get(0).spec().kvLength()) {
                    throw new GoldenException(name + ".npz: array 'scores' has " + scores.dim(3) + " key columns but"
                            + " the step sees " + plan.steps().get(0).spec().kvLength() + " (past + kvLength)");
                }
                return new Loaded(c, plan.steps().get(0), expected, lse, scores, plan);
            }
            for (String a : List.of(GoldenCase.PAST_KEY, GoldenCase.PAST_VALUE, GoldenCase.PRESENT_KEY,
                    GoldenCase.PRESENT_VALUE)) {
                if (arrays.containsKey(a)) {
                    throw new GoldenException(name + ".npz: array '" + a + "' belongs to a cache case, and "
                            + name + ".json has no field 'cache'");
                }
            }
            return new Loaded(c, problem(c, arrays), expected, lse, scores, null);
        } catch (InvalidProblemException e) {
            throw new GoldenException(name + ": " + e.getMessage());
        }
    }

    /** Format 2's integer arrays key_lengths and offsets, taken into the case's options. */
    private static GoldenCase withIntegerArrays(GoldenCase c, Map<String, Npy.Array> arrays) {
        int[] keyLengths = ints(c, arrays.get(GoldenCase.KEY_LENGTHS), GoldenCase.KEY_LENGTHS);
        int[] offsets = ints(c, arrays.get(GoldenCase.OFFSETS), GoldenCase.OFFSETS);
        String alignment = c.causal() != null ? c.causal() : c.v2().windowAlignment();
        if (offsets != null && !"per_sequence".equals(alignment)) {
            throw new GoldenException(c.name() + ".npz: array 'offsets' is only for alignment \"per_sequence\"");
        }
        if (c.isCache() && keyLengths != null) {
            throw new GoldenException(c.name() + ".npz: array 'key_lengths' is not for a cache case (its chunks"
                    + " append every sequence's keys)");
        }
        GoldenCase with = c.withV2(c.v2().withOffsets(offsets), keyLengths);
        with.spec();                                        // per-sequence offsets checked against the batch
        return with;
    }

    private static int[] ints(GoldenCase c, Npy.Array a, String array) {
        if (a == null) return null;
        long[] v = a.ints();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if ((int) v[i] != v[i]) {
                throw new GoldenException(c.name() + ".npz: " + array + "[" + i + "] is " + v[i] + ", past int32");
            }
            out[i] = (int) v[i];
        }
        return out;
    }

    /** An fp32 auxiliary output (lse (B, Hq, Sq) or scores (B, Hq, Sq, keys)) as a row-major tensor, or null. */
    private static Tensor auxiliary(GoldenCase c, Map<String, Npy.Array> arrays, String array) {
        Npy.Array a = arrays.get(array);
        return a == null ? null : Tensor.of(a.data(), a.shape());
    }

    /** The problem the arrays make, viewed in the case's layout and types (the arrays are shared, not copied). */
    static AttentionProblem problem(GoldenCase c, Map<String, Npy.Array> arrays) {
        Tensor q = tensor(c, GoldenCase.Q, arrays.get(GoldenCase.Q));
        Tensor k = tensor(c, GoldenCase.K, arrays.get(GoldenCase.K));
        Tensor v = tensor(c, GoldenCase.V, arrays.get(GoldenCase.V));
        return new AttentionProblem(c.spec(), q, k, v, mask(c, arrays), c.keyLengths());
    }

    /** The case's attn_mask (boolean, or additive in fp32, fp16 or bf16), or null. */
    static Mask mask(GoldenCase c, Map<String, Npy.Array> arrays) {
        Npy.Array m = arrays.get(GoldenCase.MASK);
        Mask mask = null;
        if (m != null) {
            if (m.isBool()) {
                boolean[] keep = new boolean[m.data().length];
                for (int i = 0; i < keep.length; i++) keep[i] = m.data()[i] != 0;
                mask = new Mask.Keep(keep, m.shape());
            } else if (m.dtype() == Npy.Dtype.FLOAT32 || m.dtype() == Npy.Dtype.FLOAT64) {
                mask = new Mask.Bias(m.data(), m.shape());
            } else {
                // a 16-bit additive mask: a Mask is fp32, and every fp16 or bf16 value is one, so this is exact
                mask = new Mask.Bias(Tensor.ofBits(m.bits16(), c.elementTypes().mask(), m.shape()).toArray(),
                        m.shape());
            }
        }
        return mask;
    }

    /**
     * Array q, k, v or out as a tensor of its type in the case's layout, over the array's own storage: fp32 values,
     * fp16/bf16 bits, fp8 bits with the case's descale. (The header check already matched dtype and type.)
     */
    static Tensor tensor(GoldenCase c, String array, Npy.Array a) {
        ElementType type = c.elementTypes().of(array);
        int[] stored = a.shape();                          // the header check matched it to the case
        Tensor rowMajor = switch (type) {
            case FP32 -> Tensor.of(a.data(), stored);
            case FP16, BF16 -> Tensor.ofBits(a.bits16(), type, stored);
            case FP8_E4M3, FP8_E5M2 -> Tensor.ofBits(a.bits8(), type, Descale.ONE, stored);
        };
        return c.storage().wrap(rowMajor, c.elementTypes().descale(array));
    }

    private static String firstLine(String message) {
        return message == null ? "no message" : message.lines().findFirst().orElse("").strip();
    }
}
