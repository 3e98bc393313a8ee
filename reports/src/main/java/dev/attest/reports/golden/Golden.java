package dev.attest.reports.golden;

import dev.attest.oracle.Oracle;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Layout;
import dev.attest.reference.Tensor;
import dev.attest.reports.AtomicFiles;
import dev.attest.reports.UsageException;
import dev.attest.reports.Workloads;
import dev.attest.reports.model.ConfigInfo;
import dev.attest.reports.model.ReportJson;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.UnsupportedFeatureException;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Golden vectors: per case {@code NAME.npz} (arrays q, k, v, out: float32, BHSD) and {@code NAME.json} (options).
 * Cases are named from feature tokens in a fixed order, as ONNX names its attention cases.
 */
public final class Golden {
    private Golden() {
    }

    /**
     * Options of one golden case (NAME.json).
     *
     * @param causal null (none), "top_left" or "bottom_right"
     * @param scale  null for 1/sqrt(Dqk)
     */
    public record Options(String name, int batch, int qHeads, int kvHeads, int qLength, int kvLength, int qkHeadDim,
                          int vHeadDim, Double scale, String causal, String layout, double atol, double rtol,
                          String source) {
    }

    static final List<Options> CASES = List.of(
            new Options("attention_4d", 2, 3, 3, 4, 6, 8, 8, null, null, "BHSD", 1e-5, 1e-4, null),
            new Options("attention_4d_diff_heads_sizes", 1, 2, 2, 3, 5, 6, 4, null, null, "BHSD", 1e-5, 1e-4, null),
            new Options("attention_4d_gqa", 1, 4, 2, 5, 5, 8, 8, null, null, "BHSD", 1e-5, 1e-4, null),
            new Options("attention_4d_scaled", 1, 2, 2, 4, 4, 8, 8, 0.125, null, "BHSD", 1e-5, 1e-4, null),
            new Options("attention_4d_causal", 1, 2, 2, 5, 5, 4, 4, null, "top_left", "BHSD", 1e-5, 1e-4, null),
            new Options("attention_4d_gqa_causal_bottom_right", 2, 4, 1, 3, 7, 8, 8, null, "bottom_right", "BHSD",
                    1e-5, 1e-4, null));

    /** Writes every case with the oracle's output; returns how many. */
    public static int export(Path dir) {
        int n = 0;
        for (Options o : CASES) {
            ConfigInfo shape = new ConfigInfo(o.name(), "golden", o.batch(), o.qHeads(), o.kvHeads(), o.qLength(),
                    o.kvLength(), o.qkHeadDim(), false, 0);
            AttentionProblem seed = Workloads.problem(shape, 11);
            Tensor v = Layout.BHSD.allocate(o.batch(), o.kvHeads(), o.kvLength(), o.vHeadDim());
            float[] vd = v.data();
            for (int i = 0; i < vd.length; i++) vd[i] = (float) Math.sin(0.37 * i + o.name().length());
            AttentionProblem p = new AttentionProblem(spec(o), seed.query(), seed.key(), v);
            double[] exact = Oracle.attention(p).values();
            float[] out = new float[exact.length];
            for (int i = 0; i < out.length; i++) out[i] = (float) exact[i];
            Map<String, Npy.Array> arrays = new LinkedHashMap<>();
            arrays.put("q", new Npy.Array(p.query().shape(), p.query().toArray()));
            arrays.put("k", new Npy.Array(p.key().shape(), p.key().toArray()));
            arrays.put("v", new Npy.Array(p.value().shape(), p.value().toArray()));
            arrays.put("out", new Npy.Array(p.outputShape(), out));
            AtomicFiles.write(dir.resolve(o.name() + ".npz"), Npy.npz(arrays));
            Options withSource = new Options(o.name(), o.batch(), o.qHeads(), o.kvHeads(), o.qLength(), o.kvLength(),
                    o.qkHeadDim(), o.vHeadDim(), o.scale(), o.causal(), o.layout(), o.atol(), o.rtol(),
                    "attest oracle (double-double), rounded to float32");
            AtomicFiles.write(dir.resolve(o.name() + ".json"), ReportJson.MAPPER.writeValueAsString(withSource) + "\n");
            n++;
        }
        return n;
    }

    static AttentionSpec spec(Options o) {
        AttentionSpec.Builder b = AttentionSpec.builder().batch(o.batch()).heads(o.qHeads(), o.kvHeads())
                .lengths(o.qLength(), o.kvLength()).headDims(o.qkHeadDim(), o.vHeadDim());
        if (o.scale() != null) b.scale(o.scale());
        if (o.causal() != null) {
            b.causal(switch (o.causal()) {
                case "top_left" -> Alignment.TOP_LEFT;
                case "bottom_right" -> Alignment.BOTTOM_RIGHT;
                default -> throw new UsageException(o.name() + ".json: causal must be null, \"top_left\" or"
                        + " \"bottom_right\", got \"" + o.causal() + "\"");
            });
        }
        return b.build();
    }

    /** Checks every case in {@code dir} on every backend; prints one line per (case, backend); true when all pass. */
    public static boolean check(Path dir, List<AttentionBackend> backends, PrintWriter out) {
        if (!Files.isDirectory(dir)) throw new UsageException(dir + ": no such directory");
        List<Path> jsons;
        try (Stream<Path> files = Files.list(dir)) {
            jsons = files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UsageException(dir + ": cannot list (" + e.getMessage() + ")");
        }
        if (jsons.isEmpty()) throw new UsageException(dir + ": no golden cases (NAME.json + NAME.npz) in it");
        boolean ok = true;
        for (Path json : jsons) {
            String name = json.getFileName().toString().replaceFirst("\\.json$", "");
            Options o;
            Map<String, Npy.Array> arrays;
            try {
                o = ReportJson.MAPPER.readValue(Files.readString(json), Options.class);
                arrays = Npy.readNpz(dir.resolve(name + ".npz"));
            } catch (Exception e) {
                throw new UsageException(name + ": cannot read the case (" + e.getMessage() + ")");
            }
            AttentionSpec spec = spec(o);
            Tensor q = tensor(name, "q", arrays, o.batch(), o.qHeads(), o.qLength(), o.qkHeadDim());
            Tensor k = tensor(name, "k", arrays, o.batch(), o.kvHeads(), o.kvLength(), o.qkHeadDim());
            Tensor v = tensor(name, "v", arrays, o.batch(), o.kvHeads(), o.kvLength(), o.vHeadDim());
            Tensor expected = tensor(name, "out", arrays, o.batch(), o.qHeads(), o.qLength(), o.vHeadDim());
            AttentionProblem p = new AttentionProblem(spec, q, k, v);
            for (AttentionBackend b : backends) {
                Tensor got = p.allocateOutput(Layout.BHSD);
                try {
                    b.attention(p, got);
                } catch (UnsupportedFeatureException e) {
                    out.println(String.format(Locale.ROOT, "%-40s %-14s unsupported (%s)", name, b.name(), e.getMessage()));
                    continue;
                }
                float[] g = got.toArray(), e = expected.data();
                double worst = 0, worstExcess = Double.NEGATIVE_INFINITY;
                int at = 0;
                for (int i = 0; i < g.length; i++) {
                    double err = Math.abs((double) g[i] - e[i]);
                    double excess = err - (o.atol() + o.rtol() * Math.abs(e[i]));
                    if (Double.isNaN(err)) excess = Double.POSITIVE_INFINITY;
                    if (excess > worstExcess) {
                        worstExcess = excess;
                        worst = err;
                        at = i;
                    }
                }
                boolean pass = worstExcess <= 0;
                ok &= pass;
                out.println(String.format(Locale.ROOT, "%-40s %-14s %s  max |out - expected| %.3g at %s"
                                + " (atol %.1g, rtol %.1g)", name, b.name(), pass ? "pass" : "FAIL", worst,
                        dev.attest.properties.judge.Expectation.index(expected.shape(), at), o.atol(), o.rtol()));
            }
        }
        out.flush();
        return ok;
    }

    private static Tensor tensor(String name, String array, Map<String, Npy.Array> arrays, int... shape) {
        Npy.Array a = arrays.get(array);
        if (a == null) throw new UsageException(name + ".npz: no array '" + array + "' (has " + arrays.keySet() + ")");
        if (!Arrays.equals(a.shape(), shape)) {
            throw new UsageException(name + ": array '" + array + "' has shape " + Arrays.toString(a.shape())
                    + " but " + name + ".json says " + Arrays.toString(shape));
        }
        return Tensor.of(a.data(), shape);
    }
}
