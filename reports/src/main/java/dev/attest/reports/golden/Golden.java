package dev.attest.reports.golden;

import dev.attest.oracle.Oracle;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.InvalidProblemException;
import dev.attest.reference.Layout;
import dev.attest.reference.Mask;
import dev.attest.reference.Tensor;
import dev.attest.reports.AtomicFiles;
import dev.attest.reports.model.ReportJson;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Golden vectors: per case {@code NAME.npz} (arrays q, k, v, out and an optional attn_mask) and {@code NAME.json}
 * ({@link GoldenCase}, the options). Cases are named from feature tokens in a fixed order, as ONNX names its
 * attention cases.
 */
public final class Golden {
    private Golden() {
    }

    /** A case read from disk and checked: its options and the problem its arrays make, with the expected output. */
    public record Loaded(GoldenCase options, AttentionProblem problem, Tensor expected) {
    }

    private static GoldenCase plain(String name, int b, int hq, int hkv, int sq, int skv, int dqk, int dv) {
        return new GoldenCase(name, b, hq, hkv, sq, skv, dqk, dv, null, null, null, "BHSD", null, 1e-5, 1e-4, null);
    }

    /** The exported cases; each feature the file format carries is in at least one. */
    static final List<GoldenCase> CASES = List.of(
            plain("attention_4d", 2, 3, 3, 4, 6, 8, 8),
            plain("attention_4d_diff_heads_sizes", 1, 2, 2, 3, 5, 6, 4),
            plain("attention_4d_gqa", 1, 4, 2, 5, 5, 8, 8),
            new GoldenCase("attention_4d_scaled", 1, 2, 2, 4, 4, 8, 8, 0.125, null, null, "BHSD", null, 1e-5, 1e-4,
                    null),
            new GoldenCase("attention_4d_causal", 1, 2, 2, 5, 5, 4, 4, null, null, "top_left", "BHSD", null, 1e-5,
                    1e-4, null),
            new GoldenCase("attention_4d_gqa_causal_bottom_right", 2, 4, 1, 3, 7, 8, 8, null, null, "bottom_right",
                    "BHSD", null, 1e-5, 1e-4, null),
            new GoldenCase("attention_4d_softcap", 1, 2, 2, 4, 6, 8, 8, null, 2.0, null, "BHSD", null, 1e-5, 1e-4,
                    null),
            plain("attention_4d_attn_mask", 2, 2, 2, 3, 5, 8, 8),
            plain("attention_4d_attn_mask_bool", 1, 2, 1, 4, 4, 8, 8),
            new GoldenCase("attention_4d_key_padding", 2, 2, 2, 3, 6, 8, 8, null, null, null, "BHSD",
                    new int[]{6, 2}, 1e-5, 1e-4, null),
            new GoldenCase("attention_bshd", 2, 4, 2, 3, 5, 8, 8, null, null, null, "BSHD", null, 1e-5, 1e-4, null));

    /** Writes every case with the oracle's output; returns how many. */
    public static int export(Path dir) {
        for (GoldenCase c : CASES) {
            SplittableRandom random = new SplittableRandom(c.name().hashCode());
            Map<String, Npy.Array> arrays = new LinkedHashMap<>();
            for (String a : List.of(GoldenCase.Q, GoldenCase.K, GoldenCase.V)) {
                int[] shape = c.storedShape(a);
                float[] data = new float[Arrays.stream(shape).reduce(1, Math::multiplyExact)];
                for (int i = 0; i < data.length; i++) data[i] = (float) (random.nextDouble() * 4 - 2);
                arrays.put(a, new Npy.Array(shape, data));
            }
            if (c.name().contains("attn_mask")) arrays.put(GoldenCase.MASK, exampleMask(c, c.name().endsWith("_bool")));
            arrays.put(GoldenCase.OUT, new Npy.Array(c.storedShape(GoldenCase.OUT),
                    oracleOutput(c, problem(c, arrays))));
            GoldenCase withSource = new GoldenCase(c.name(), c.batch(), c.qHeads(), c.kvHeads(), c.qLength(),
                    c.kvLength(), c.qkHeadDim(), c.vHeadDim(), c.scale(), c.softcap(), c.causal(), c.layout(),
                    c.keyLengths(), c.atol(), c.rtol(), "attest oracle (double-double), rounded to float32");
            AtomicFiles.write(dir.resolve(c.name() + ".npz"), Npy.npz(arrays));
            AtomicFiles.write(dir.resolve(c.name() + ".json"),
                    ReportJson.MAPPER.writeValueAsString(withSource) + "\n");
        }
        return CASES.size();
    }

    /** The oracle's output of {@code p} rounded to float32, in the case's storage layout (what NAME.npz holds). */
    static float[] oracleOutput(GoldenCase c, AttentionProblem p) {
        double[] exact = Oracle.attention(p).values();    // logical BHSD order
        Tensor out = c.storage().allocate(c.batch(), c.qHeads(), c.qLength(), c.vHeadDim());
        int k = 0;
        for (int b = 0; b < c.batch(); b++)
            for (int h = 0; h < c.qHeads(); h++)
                for (int s = 0; s < c.qLength(); s++)
                    for (int d = 0; d < c.vHeadDim(); d++) out.set((float) exact[k++], b, h, s, d);
        return out.data();
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
        return new Npy.Array(shape, m, bool ? "|b1" : "<f4");
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
     * Reads and checks case {@code name} of {@code dir}: options, array names, shapes (before any data is read) and
     * the problem they make. Each call reads the files afresh, so no two callers share an array.
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
            arrays = Npy.readNpz(npz, c::shapeCheck);
        } catch (IOException e) {
            throw new GoldenException(firstLine(e.getMessage()));
        }
        for (String required : List.of(GoldenCase.Q, GoldenCase.K, GoldenCase.V, GoldenCase.OUT)) {
            if (!arrays.containsKey(required)) {
                throw new GoldenException(name + ".npz: no array '" + required + "' (has " + arrays.keySet() + ")");
            }
        }
        try {
            AttentionProblem p = problem(c, arrays);
            Npy.Array out = arrays.get(GoldenCase.OUT);
            int[] s = out.shape();
            return new Loaded(c, p, c.storage().wrap(out.data(), s[0], c.qHeads(), c.qLength(), c.vHeadDim()));
        } catch (InvalidProblemException e) {
            throw new GoldenException(name + ": " + e.getMessage());
        }
    }

    /** The problem the arrays make, viewed in the case's layout (the arrays are shared, not copied). */
    static AttentionProblem problem(GoldenCase c, Map<String, Npy.Array> arrays) {
        Layout layout = c.storage();
        Tensor q = layout.wrap(arrays.get(GoldenCase.Q).data(), c.batch(), c.qHeads(), c.qLength(), c.qkHeadDim());
        Tensor k = layout.wrap(arrays.get(GoldenCase.K).data(), c.batch(), c.kvHeads(), c.kvLength(), c.qkHeadDim());
        Tensor v = layout.wrap(arrays.get(GoldenCase.V).data(), c.batch(), c.kvHeads(), c.kvLength(), c.vHeadDim());
        Npy.Array m = arrays.get(GoldenCase.MASK);
        Mask mask = null;
        if (m != null) {
            if (m.isBool()) {
                boolean[] keep = new boolean[m.data().length];
                for (int i = 0; i < keep.length; i++) keep[i] = m.data()[i] != 0;
                mask = new Mask.Keep(keep, m.shape());
            } else {
                mask = new Mask.Bias(m.data(), m.shape());
            }
        }
        return new AttentionProblem(c.spec(), q, k, v, mask, c.keyLengths());
    }

    private static String firstLine(String message) {
        return message == null ? "no message" : message.lines().findFirst().orElse("").strip();
    }
}
