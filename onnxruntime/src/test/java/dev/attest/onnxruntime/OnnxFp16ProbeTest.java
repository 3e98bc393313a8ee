package dev.attest.onnxruntime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.attest.onnxruntime.OnnxModel.Attribute;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A probe, not a conformance test: which element types ONNX Runtime's CPU {@code Attention} (opset 23, 24) accepts,
 * and how its float16 path compares with its float32 path and with a float64 computation on the same
 * (fp16-representable) inputs. It prints its findings (and writes them to target/ort-fp16-probe.txt); its
 * assertions only pin the facts found with ONNX Runtime 1.29.0 that the report relies on.
 */
class OnnxFp16ProbeTest {
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
    private static final StringBuilder LOG = new StringBuilder();

    private static void log(String fmt, Object... args) {
        String line = String.format(java.util.Locale.ROOT, fmt, args);
        System.out.println(line);
        LOG.append(line).append('\n');
    }

    private static void flush(String name) {
        try {
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target", "ort-fp16-probe-" + name + ".txt"), LOG.toString());
        } catch (IOException ignored) {
        }
        LOG.setLength(0);
    }

    // ---------------------------------------------------------------- fp16 helpers

    static float r16(double x) {
        return Float.float16ToFloat(Float.floatToFloat16((float) x));
    }

    // ---------------------------------------------------------------- cases

    enum MaskKind { NONE, BOOL, ADD }

    /** One probe case. scale NaN = attribute absent; softcap 0 = absent. */
    record Case(String name, int b, int hq, int hkv, int sq, int skv, int d, int dv, boolean causal, float scale,
                float softcap, MaskKind mask, double amp, long seed, int softmaxPrecision) {
        Case(String name, int b, int hq, int hkv, int sq, int skv, int d, boolean causal, float scale, float softcap,
             MaskKind mask, double amp) {
            this(name, b, hq, hkv, sq, skv, d, d, causal, scale, softcap, mask, amp, 42, 0);
        }

        List<Attribute> attributes() {
            List<Attribute> a = new ArrayList<>();
            if (causal) a.add(Attribute.ofInt("is_causal", 1));
            if (!Float.isNaN(scale)) a.add(Attribute.ofFloat("scale", scale));
            if (softcap != 0) a.add(Attribute.ofFloat("softcap", softcap));
            if (softmaxPrecision != 0) a.add(Attribute.ofInt("softmax_precision", softmaxPrecision));
            return a;
        }

        double alpha() {
            return Float.isNaN(scale) ? 1 / Math.sqrt(d) : scale;
        }
    }

    /** Inputs, all fp16-representable; mask (Sq, Skv): keep (bool) or bias (additive). */
    record Inputs(float[] q, float[] k, float[] v, boolean[] keep, float[] bias) {
    }

    static Inputs inputs(Case c) {
        Random rnd = new Random(c.seed());
        float[] q = new float[c.b() * c.hq() * c.sq() * c.d()];
        float[] k = new float[c.b() * c.hkv() * c.skv() * c.d()];
        float[] v = new float[c.b() * c.hkv() * c.skv() * c.dv()];
        for (float[] a : new float[][]{q, k, v}) {
            for (int i = 0; i < a.length; i++) a[i] = r16((rnd.nextDouble() * 2 - 1) * c.amp());
        }
        boolean[] keep = null;
        float[] bias = null;
        int n = c.sq() * c.skv();
        if (c.mask() == MaskKind.BOOL) {
            keep = new boolean[n];
            for (int i = 0; i < c.sq(); i++) {
                for (int j = 0; j < c.skv(); j++) keep[i * c.skv() + j] = j == i % c.skv() || rnd.nextDouble() < 0.7;
            }
        } else if (c.mask() == MaskKind.ADD) {
            bias = new float[n];
            for (int i = 0; i < n; i++) bias[i] = rnd.nextDouble() < 0.2 ? Float.NEGATIVE_INFINITY
                    : r16(rnd.nextGaussian() * 2);
            for (int i = 0; i < c.sq(); i++) bias[i * c.skv() + i % c.skv()] = 0.5f;
        }
        return new Inputs(q, k, v, keep, bias);
    }

    /**
     * The float64 computation; with {@code simulate}, the float16 pipeline ONNX Runtime's source suggests instead:
     * scores (scale * q.k, plus the mask when there is no softcap) rounded to fp16; softcap with the cap rounded to
     * fp16, its result rounded, then the mask added and rounded; bool / causal masks as -65504; softmax in wide
     * precision with the probabilities rounded to fp16; P.V accumulated wide and rounded to fp16.
     */
    static double[] reference(Case c, Inputs in, boolean simulate) {
        return simulate ? pipeline(c, in, true, true, true) : pipeline(c, in, false, false, false);
    }

    /** Rounding to fp16 at the scores ({@code scores}), at the probabilities ({@code probs}), and at the output. */
    static double[] pipeline(Case c, Inputs in, boolean scores, boolean probs, boolean output) {
        boolean simulate = scores;
        int sq = c.sq(), skv = c.skv(), d = c.d(), dv = c.dv(), group = c.hq() / c.hkv();
        double[] y = new double[c.b() * c.hq() * sq * dv];
        double alpha = c.alpha();
        double cap = simulate ? r16(c.softcap()) : c.softcap();
        double hidden = scores ? -65504 : Double.NEGATIVE_INFINITY;
        double[] s = new double[skv];
        for (int b = 0; b < c.b(); b++) for (int h = 0; h < c.hq(); h++) for (int i = 0; i < sq; i++) {
            int kh = h / group;
            for (int j = 0; j < skv; j++) {
                double dot = 0;
                for (int e = 0; e < d; e++) {
                    dot += (double) in.q()[((b * c.hq() + h) * sq + i) * d + e] * in.k()[((b * c.hkv() + kh) * skv + j) * d + e];
                }
                double m = 0;
                if (in.keep() != null && !in.keep()[i * skv + j]) m = hidden;
                if (in.bias() != null) m = in.bias()[i * skv + j];
                if (c.causal() && j > i) m = hidden;
                double x = alpha * dot;
                if (c.softcap() != 0) {
                    if (simulate) x = r16(x);
                    x = cap * Math.tanh(x / cap);
                    if (simulate) x = r16(x);
                    x = x + m;
                } else {
                    x = x + m;
                }
                s[j] = simulate ? r16(x) : x;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (double x : s) max = Math.max(max, x);
            double sum = 0;
            for (int j = 0; j < skv; j++) {
                s[j] = Math.exp(s[j] - max);
                sum += s[j];
            }
            for (int j = 0; j < skv; j++) s[j] = probs ? r16(s[j] / sum) : s[j] / sum;
            for (int e = 0; e < dv; e++) {
                double acc = 0;
                for (int j = 0; j < skv; j++) acc += s[j] * in.v()[((b * c.hkv() + kh) * skv + j) * dv + e];
                y[((b * c.hq() + h) * sq + i) * dv + e] = output ? r16(acc) : acc;
            }
        }
        return y;
    }

    // ---------------------------------------------------------------- running ONNX Runtime

    static long[] qShape(Case c) {
        return new long[]{c.b(), c.hq(), c.sq(), c.d()};
    }

    static long[] kShape(Case c) {
        return new long[]{c.b(), c.hkv(), c.skv(), c.d()};
    }

    static long[] vShape(Case c) {
        return new long[]{c.b(), c.hkv(), c.skv(), c.dv()};
    }

    static ShortBuffer halves(float[] a, boolean bf16) {
        ShortBuffer buf = ByteBuffer.allocateDirect(a.length * 2).order(ByteOrder.nativeOrder()).asShortBuffer();
        for (float x : a) buf.put(bf16 ? (short) (Float.floatToRawIntBits(x) >>> 16) : Float.floatToFloat16(x));
        return buf.flip();
    }

    static FloatBuffer floats(float[] a) {
        FloatBuffer buf = ByteBuffer.allocateDirect(a.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        return buf.put(a).flip();
    }

    static OnnxTensor tensor(float[] a, long[] shape, int type) throws OrtException {
        return switch (type) {
            case OnnxModel.FLOAT -> OnnxTensor.createTensor(ENV, floats(a), shape);
            case OnnxModel.FLOAT16 -> OnnxTensor.createTensor(ENV, halves(a, false), shape, OnnxJavaType.FLOAT16);
            case OnnxModel.BFLOAT16 -> OnnxTensor.createTensor(ENV, halves(a, true), shape, OnnxJavaType.BFLOAT16);
            case OnnxModel.DOUBLE -> {
                double[] dd = new double[a.length];
                for (int i = 0; i < a.length; i++) dd[i] = a[i];
                yield OnnxTensor.createTensor(ENV, java.nio.DoubleBuffer.wrap(dd), shape);
            }
            default -> throw new IllegalArgumentException("no Java tensor for ONNX type " + type);
        };
    }

    static float[] read(OnnxTensor t) throws OrtException {
        return switch (t.getInfo().type) {
            case FLOAT -> {
                FloatBuffer fb = t.getFloatBuffer();
                float[] out = new float[fb.remaining()];
                fb.get(out);
                yield out;
            }
            case FLOAT16, BFLOAT16 -> {
                boolean bf = t.getInfo().type == OnnxJavaType.BFLOAT16;
                ShortBuffer sb = t.getShortBuffer();
                float[] out = new float[sb.remaining()];
                for (int i = 0; i < out.length; i++) {
                    short h = sb.get(i);
                    out[i] = bf ? Float.intBitsToFloat((h & 0xffff) << 16) : Float.float16ToFloat(h);
                }
                yield out;
            }
            case DOUBLE -> {
                java.nio.DoubleBuffer db = t.getDoubleBuffer();
                float[] out = new float[db.remaining()];
                for (int i = 0; i < out.length; i++) out[i] = (float) db.get(i);
                yield out;
            }
            default -> throw new IllegalStateException("output type " + t.getInfo().type);
        };
    }

    /** Intra-op threads for {@link #run} (0 = ONNX Runtime's default). */
    static int threads = 1;

    /** Runs {@code c} with Q/K/V/Y of {@code qkv} (mask of {@code maskType} when bool/additive). */
    static float[] run(long opset, Case c, Inputs in, int qType, int kType, int vType, int maskType)
            throws OrtException {
        int mt = c.mask() == MaskKind.NONE ? 0 : c.mask() == MaskKind.BOOL ? OnnxModel.BOOL : maskType;
        byte[] model = OnnxModel.attention(opset, qType, kType, vType, mt, 2, c.attributes());
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            try (OrtSession session = ENV.createSession(model, options)) {
                Map<String, OnnxTensor> feeds = new HashMap<>();
                try {
                    feeds.put("Q", tensor(in.q(), qShape(c), qType));
                    feeds.put("K", tensor(in.k(), kShape(c), kType));
                    feeds.put("V", tensor(in.v(), vShape(c), vType));
                    long[] ms = {c.sq(), c.skv()};
                    if (in.keep() != null) {
                        ByteBuffer bb = ByteBuffer.allocateDirect(in.keep().length);
                        for (boolean x : in.keep()) bb.put((byte) (x ? 1 : 0));
                        feeds.put("attn_mask", OnnxTensor.createTensor(ENV, bb.flip(), ms, OnnxJavaType.BOOL));
                    } else if (in.bias() != null) {
                        feeds.put("attn_mask", tensor(in.bias(), ms, mt));
                    }
                    try (OrtSession.Result r = session.run(feeds)) {
                        return read((OnnxTensor) r.get(0));
                    }
                } finally {
                    for (OnnxTensor t : feeds.values()) t.close();
                }
            }
        }
    }

    // ---------------------------------------------------------------- metrics

    record Err(double maxAbs, double relRms, int nonFinite) {
        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "max %.2e rms %.2e%s", maxAbs, relRms,
                    nonFinite > 0 ? " nonfinite " + nonFinite : "");
        }
    }

    static Err err(float[] got, double[] ref) {
        double max = 0, num = 0, den = 0;
        int bad = 0;
        for (int i = 0; i < got.length; i++) {
            if (!Double.isFinite(got[i]) || !Double.isFinite(ref[i])) {
                bad++;
                continue;
            }
            double e = got[i] - ref[i];
            max = Math.max(max, Math.abs(e));
            num += e * e;
            den += ref[i] * ref[i];
        }
        return new Err(max, Math.sqrt(num / Math.max(den, 1e-300)), bad);
    }

    static double[] wide(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    static double[] round16(double[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = r16(a[i]);
        return d;
    }

    /** Largest distance in fp16 ulps (of the value's own binade), and the count of bit-exact agreements. */
    static String ulps(float[] got, double[] sim) {
        double worst = 0;
        int exact = 0;
        for (int i = 0; i < got.length; i++) {
            float s = (float) sim[i];
            if (Float.floatToFloat16(got[i]) == Float.floatToFloat16(s)) exact++;
            double ulp = Math.max(Math.ulp(Float.float16ToFloat(Float.floatToFloat16(s))) * 8192, 5.96e-8);
            worst = Math.max(worst, Math.abs(got[i] - s) / ulp);
        }
        return String.format(java.util.Locale.ROOT, "maxUlp %.0f exact %d/%d", worst, exact, got.length);
    }

    static String exact(float[] got, double[] sim) {
        int n = 0;
        for (int i = 0; i < got.length; i++) if (Float.floatToFloat16(got[i]) == Float.floatToFloat16((float) sim[i])) n++;
        return n + "/" + got.length;
    }

    /** The op types of the graph ONNX Runtime actually runs (its optimized model, saved and scanned for names). */
    static String executedOps(byte[] model) {
        try {
            Path out = Files.createTempFile("ort-opt", ".onnx");
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setOptimizedModelFilePath(out.toString());
                try (OrtSession ignored = ENV.createSession(model, options)) {
                    // saved on creation
                }
            }
            String text = new String(Files.readAllBytes(out), java.nio.charset.StandardCharsets.ISO_8859_1);
            Files.deleteIfExists(out);
            java.util.TreeSet<String> ops = new java.util.TreeSet<>();
            for (String op : new String[]{"Attention", "MatMul", "Softmax", "Expand", "Cast", "Where", "Trilu", "Add",
                    "Mul", "Tanh", "Sqrt", "Transpose"}) {
                if (java.util.regex.Pattern.compile("[^A-Za-z]" + op + "[^A-Za-z]")
                        .matcher(text).find()) ops.add(op);
            }
            return ops.contains("Attention") && !ops.contains("Softmax") ? "fused Attention kernel"
                    : "function body " + ops;
        } catch (OrtException | IOException e) {
            return "?";
        }
    }

    // ---------------------------------------------------------------- the probes

    static String attempt(long opset, int q, int k, int v, int mask) {
        Case c = new Case("t", 1, 2, 2, 4, 4, 8, false, Float.NaN, 0, mask == 0 ? MaskKind.NONE
                : mask == OnnxModel.BOOL ? MaskKind.BOOL : MaskKind.ADD, 1);
        Inputs in = inputs(c);
        byte[] model = OnnxModel.attention(opset, q, k, v, mask, 2, c.attributes());
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             OrtSession ignored = ENV.createSession(model, options)) {
            // built: run it if Java can make the tensors
        } catch (OrtException e) {
            return "SESSION REFUSED: " + e.getMessage().replaceAll("\\s+", " ");
        }
        try {
            float[] y = run(opset, c, in, q, k, v, mask);
            Err e = err(y, reference(c, in, false));
            return "OK (runs as " + executedOps(model) + "; vs fp64 " + e + ")";
        } catch (OrtException e) {
            return "BUILDS, RUN FAILED: " + e.getMessage().replaceAll("\\s+", " ");
        } catch (IllegalArgumentException e) {
            return "BUILDS (not run: " + e.getMessage() + ")";
        }
    }

    static String name(int t) {
        return switch (t) {
            case 0 -> "-";
            case OnnxModel.FLOAT -> "f32";
            case OnnxModel.BOOL -> "bool";
            case OnnxModel.FLOAT16 -> "f16";
            case OnnxModel.DOUBLE -> "f64";
            case OnnxModel.BFLOAT16 -> "bf16";
            case OnnxModel.FLOAT8E4M3FN -> "f8e4m3fn";
            case OnnxModel.FLOAT8E5M2 -> "f8e5m2";
            default -> "type" + t;
        };
    }

    @Test
    void elementTypesAcceptedByTheCpuKernel() {
        int f32 = OnnxModel.FLOAT, f16 = OnnxModel.FLOAT16, bf16 = OnnxModel.BFLOAT16, f64 = OnnxModel.DOUBLE;
        int e4 = OnnxModel.FLOAT8E4M3FN, e5 = OnnxModel.FLOAT8E5M2, bool = OnnxModel.BOOL;
        int[][] combos = {
                {f32, f32, f32, 0}, {f16, f16, f16, 0}, {bf16, bf16, bf16, 0}, {f64, f64, f64, 0},
                {f16, f16, f16, bool}, {f16, f16, f16, f16}, {f16, f16, f16, f32}, {f32, f32, f32, f16},
                {f16, f16, f32, 0}, {f32, f32, f16, 0}, {f16, f32, f32, 0}, {f32, f16, f16, 0},
                {bf16, bf16, bf16, bool}, {f16, e4, e4, 0}, {f32, e4, e4, 0}, {e4, e4, e4, 0},
                {f16, e5, e5, 0}, {f32, e5, e5, 0}, {e5, e5, e5, 0}, {f16, f16, e4, 0},
        };
        Map<String, String> results = new HashMap<>();
        for (long opset : new long[]{23, 24, 25}) {
            log("opset %d", opset);
            for (int[] t : combos) {
                String r = attempt(opset, t[0], t[1], t[2], t[3]);
                String key = opset + " " + name(t[0]) + "/" + name(t[1]) + "/" + name(t[2]) + " mask " + name(t[3]);
                results.put(key, r);
                log("  Q %-8s K %-8s V %-8s mask %-5s -> %s", name(t[0]), name(t[1]), name(t[2]), name(t[3]), r);
            }
        }
        flush("types");
        for (long opset : new long[]{23, 24}) {
            assertTrue(results.get(opset + " f32/f32/f32 mask -").startsWith("OK"), "fp32 runs at " + opset);
            assertTrue(results.get(opset + " f16/f16/f16 mask -").startsWith("OK"), "fp16 runs at " + opset);
            assertFalse(results.get(opset + " bf16/bf16/bf16 mask -").startsWith("OK"), "bf16 refused at " + opset);
            assertFalse(results.get(opset + " f16/f16/f32 mask -").startsWith("OK"), "mixed refused at " + opset);
        }
    }

    static final List<Case> CASES = List.of(
            new Case("S4 D8", 1, 2, 2, 4, 4, 8, false, Float.NaN, 0, MaskKind.NONE, 1),
            new Case("S16 D16", 1, 2, 2, 16, 16, 16, false, Float.NaN, 0, MaskKind.NONE, 1),
            new Case("S64 D64", 1, 2, 2, 64, 64, 64, false, Float.NaN, 0, MaskKind.NONE, 1),
            new Case("S64 D64 amp3", 1, 2, 2, 64, 64, 64, false, Float.NaN, 0, MaskKind.NONE, 3),
            new Case("S33x47 D32", 1, 2, 2, 33, 47, 32, false, Float.NaN, 0, MaskKind.NONE, 1),
            new Case("S64 D64 causal", 1, 2, 2, 64, 64, 64, true, Float.NaN, 0, MaskKind.NONE, 1),
            new Case("S16 D8 causal", 1, 2, 2, 16, 16, 8, true, Float.NaN, 0, MaskKind.NONE, 1),
            new Case("S32 D32 addmask", 1, 2, 2, 32, 32, 32, false, Float.NaN, 0, MaskKind.ADD, 1),
            new Case("S32 D32 addmask causal", 1, 2, 2, 32, 32, 32, true, Float.NaN, 0, MaskKind.ADD, 1),
            new Case("S32 D32 boolmask", 1, 2, 2, 32, 32, 32, false, Float.NaN, 0, MaskKind.BOOL, 1),
            new Case("S32 D32 boolmask causal", 1, 2, 2, 32, 32, 32, true, Float.NaN, 0, MaskKind.BOOL, 1),
            new Case("S32 D32 softcap5", 1, 2, 2, 32, 32, 32, false, Float.NaN, 5f, MaskKind.NONE, 3),
            new Case("S32 D32 softcap0.1", 1, 2, 2, 32, 32, 32, false, Float.NaN, 0.1f, MaskKind.NONE, 1),
            new Case("S32 D32 softcap5 causal", 1, 2, 2, 32, 32, 32, true, Float.NaN, 5f, MaskKind.NONE, 3),
            new Case("S32 D32 softcap5 addmask", 1, 2, 2, 32, 32, 32, false, Float.NaN, 5f, MaskKind.ADD, 3),
            new Case("S32 D32 softcap5 boolmask", 1, 2, 2, 32, 32, 32, false, Float.NaN, 5f, MaskKind.BOOL, 3),
            new Case("GQA Hq4 Hkv2 S32 D32", 1, 4, 2, 32, 32, 32, false, Float.NaN, 0, MaskKind.NONE, 1),
            new Case("GQA Hq8 Hkv2 S16x40 D16 causal", 2, 8, 2, 16, 40, 16, true, Float.NaN, 0, MaskKind.NONE, 1),
            new Case("scale0.3 S32 D32", 1, 2, 2, 32, 32, 32, false, 0.3f, 0, MaskKind.NONE, 1),
            new Case("scale0.1 S32 D64 amp3", 1, 2, 2, 32, 32, 64, false, 0.1f, 0, MaskKind.NONE, 3),
            new Case("Dv24 S16 D8", 1, 2, 2, 16, 16, 8, 24, false, Float.NaN, 0, MaskKind.NONE, 1, 7, 0));

    @Test
    void float16AgainstFloat32AndFloat64() throws OrtException {
        for (long opset : new long[]{23, 24}) {
            log("opset %d: ORT fp16 vs fp64 | ORT fp32 vs fp64 | round16(fp64) vs fp64 (ideal fp16 output) | "
                    + "ORT fp16 vs ORT fp32 | ORT fp16 vs simulated fp16 pipeline", opset);
            for (Case c : CASES) {
                Inputs in = inputs(c);
                float[] y16 = run(opset, c, in, OnnxModel.FLOAT16, OnnxModel.FLOAT16, OnnxModel.FLOAT16,
                        OnnxModel.FLOAT16);
                float[] y32 = run(opset, c, in, OnnxModel.FLOAT, OnnxModel.FLOAT, OnnxModel.FLOAT, OnnxModel.FLOAT);
                double[] ref = reference(c, in, false), sim = reference(c, in, true);
                Err e16 = err(y16, ref);
                log("  %-32s f16 %s | f32 %s | ideal %s | f16-f32 %s | sim %s", c.name(), e16, err(y32, ref),
                        errD(round16(ref), ref),
                        err(y16, wide(y32)), ulps(y16, sim));
                log("  %-32s bit-exact vs variants: output-only %s | scores+output %s | probs+output %s",
                        "", exact(y16, pipeline(c, in, false, false, true)), exact(y16, pipeline(c, in, true, false,
                                true)), exact(y16, pipeline(c, in, false, true, true)));
                assertTrue(e16.nonFinite() == 0 && e16.relRms() < 5e-3, c.name() + " fp16 close to fp64: " + e16);
            }
        }
        Case big = CASES.get(2);
        Inputs in = inputs(big);
        float[] one = run(23, big, in, 10, 10, 10, 10);
        threads = 0;
        float[] many;
        try {
            many = run(23, big, in, 10, 10, 10, 10);
        } finally {
            threads = 1;
        }
        log("fp16 %s with default intra-op threads: bit-identical to 1 thread: %s", big.name(),
                java.util.Arrays.equals(one, many));
        flush("accuracy");
    }

    static Err errD(double[] got, double[] ref) {
        float[] g = new float[got.length];
        for (int i = 0; i < g.length; i++) g[i] = (float) got[i];
        return err(g, ref);
    }

    /** softmax_precision = 1 (FLOAT): does it change the fp16 result? */
    @Test
    void softmaxPrecisionAttribute() throws OrtException {
        Case base = new Case("S64 D64 amp3", 1, 2, 2, 64, 64, 64, 64, false, Float.NaN, 0, MaskKind.NONE, 3, 42, 0);
        Case sp = new Case("S64 D64 amp3 softmax_precision=1", 1, 2, 2, 64, 64, 64, 64, false, Float.NaN, 0,
                MaskKind.NONE, 3, 42, 1);
        Inputs in = inputs(base);
        double[] ref = reference(base, in, false);
        for (long opset : new long[]{23, 24}) {
            float[] a = run(opset, base, in, 10, 10, 10, 10);
            float[] b;
            try {
                b = run(opset, sp, in, 10, 10, 10, 10);
            } catch (OrtException e) {
                log("opset %d softmax_precision=1 refused: %s", opset, e.getMessage());
                continue;
            }
            int same = 0;
            for (int i = 0; i < a.length; i++) if (Float.floatToRawIntBits(a[i]) == Float.floatToRawIntBits(b[i])) same++;
            log("opset %d softmax_precision absent: %s; =1 (FLOAT): %s; bit-identical %d/%d", opset, err(a, ref),
                    err(b, ref), same, a.length);
            assertTrue(same == a.length, "pinned: softmax_precision=1 changes nothing in the fp16 kernel");
        }
        flush("softmax-precision");
    }

    /** Large logits: q.k beyond the fp16 range, scaled and unscaled. */
    @Test
    void largeLogits() throws OrtException {
        List<Case> cases = List.of(
                new Case("q,k=30+-0.5 D64 default scale", 1, 2, 2, 8, 8, 64, false, Float.NaN, 0, MaskKind.NONE, 30),
                new Case("q,k=30+-0.5 D64 scale1", 1, 2, 2, 8, 8, 64, false, 1f, 0, MaskKind.NONE, 30),
                new Case("q,k=35+-0.5 D64 default scale", 1, 2, 2, 8, 8, 64, false, Float.NaN, 0, MaskKind.NONE, 35),
                new Case("q,k=35+-0.5 D64 scale1", 1, 2, 2, 8, 8, 64, false, 1f, 0, MaskKind.NONE, 35),
                new Case("q,k=35+-0.5 D64 scale1 causal", 1, 2, 2, 8, 8, 64, true, 1f, 0, MaskKind.NONE, 35),
                new Case("q,k=35+-0.5 D64 scale1 softcap50", 1, 2, 2, 8, 8, 64, false, 1f, 50f, MaskKind.NONE, 35),
                new Case("q,k=3+-0.5 D64 default scale", 1, 2, 2, 8, 8, 64, false, Float.NaN, 0, MaskKind.NONE, 3));
        for (Case c : cases) {
            Inputs in = inputs(c);
            // q and k near amp: every score large and positive, differing by a few units
            Random rnd = new Random(5);
            for (float[] a : new float[][]{in.q(), in.k()}) {
                for (int i = 0; i < a.length; i++) a[i] = r16(c.amp() + rnd.nextDouble() - 0.5);
            }
            for (int i = 0; i < in.v().length; i++) in.v()[i] = r16(rnd.nextDouble() * 2 - 1);
            double[] ref = reference(c, in, false), sim = reference(c, in, true);
            double maxScore = 0;
            for (int i = 0; i < c.sq(); i++) for (int j = 0; j < c.skv(); j++) {
                double dot = 0;
                for (int e = 0; e < c.d(); e++) dot += (double) in.q()[i * c.d() + e] * in.k()[j * c.d() + e];
                maxScore = Math.max(maxScore, dot);
            }
            float[] y16 = run(23, c, in, 10, 10, 10, 10), y32 = run(23, c, in, 1, 1, 1, 1);
            int nan = 0, inf = 0;
            for (float x : y16) {
                if (Float.isNaN(x)) nan++;
                else if (Float.isInfinite(x)) inf++;
            }
            log("%-28s max q.k %.0f (scaled %.0f): f16 NaN %d Inf %d of %d, %s | f32 %s | sim %s | y16[0..3] %s "
                            + "ref %s", c.name(), maxScore, maxScore * c.alpha(), nan, inf, y16.length, err(y16, ref),
                    err(y32, ref), ulps(y16, sim), java.util.Arrays.toString(java.util.Arrays.copyOf(y16, 4)),
                    java.util.Arrays.toString(java.util.Arrays.copyOf(ref, 4)));
        }
        flush("large-logits");
    }

    /** A row whose every key is hidden, by a bool mask and by an additive -inf mask: fp16 vs fp32. */
    @Test
    void fullyMaskedRow() throws OrtException {
        for (MaskKind kind : new MaskKind[]{MaskKind.BOOL, MaskKind.ADD}) {
            Case c = new Case("fully masked row 0 " + kind, 1, 1, 1, 2, 4, 8, false, Float.NaN, 0, kind, 1);
            Inputs in = inputs(c);
            for (int j = 0; j < 4; j++) {
                if (in.keep() != null) in.keep()[j] = false;
                if (in.bias() != null) in.bias()[j] = Float.NEGATIVE_INFINITY;
            }
            float[] y16 = run(23, c, in, 10, 10, 10, 10), y32 = run(23, c, in, 1, 1, 1, 1);
            log("%s: f16 row0 %s | f32 row0 %s | fp64 (mask as -inf) %s", c.name(),
                    java.util.Arrays.toString(java.util.Arrays.copyOf(y16, 8)),
                    java.util.Arrays.toString(java.util.Arrays.copyOf(y32, 8)), reference(c, in, false)[0]);
            for (int e = 0; e < 8; e++) assertTrue(y16[e] == 0f && y32[e] == 0f, "pinned: zeros for a hidden row");
        }
        flush("fully-masked");
    }

    /** Fills a (B=1, H=1, S, 64) tensor's rows with constants. */
    static float[] rows(double... values) {
        float[] a = new float[values.length * 64];
        for (int r = 0; r < values.length; r++) java.util.Arrays.fill(a, r * 64, r * 64 + 64, r16(values[r]));
        return a;
    }

    /**
     * Minimal reproducer: scale = 1, D = 64, q = k = 35 everywhere, so q.k = 78400 (> 65504). fp32: y = mean of V
     * = 2; fp16: the score overflows to +Inf in its fp16 score buffer and softmax makes NaN.
     */
    @Test
    void scoreOverflowGivesNaN() throws OrtException {
        Case c = new Case("overflow", 1, 1, 1, 1, 2, 64, false, 1f, 0, MaskKind.NONE, 1);
        float[] v = new float[2 * 64];
        java.util.Arrays.fill(v, 0, 64, 1f);
        java.util.Arrays.fill(v, 64, 128, 3f);
        Inputs in = new Inputs(rows(35), rows(35, 35), v, null, null);
        for (long opset : new long[]{23, 24}) {
            float[] y16 = run(opset, c, in, 10, 10, 10, 10), y32 = run(opset, c, in, 1, 1, 1, 1);
            log("opset %d overflow reproducer: fp32 y[0] = %s, fp16 y[0] = %s (expected 2)", opset, y32[0], y16[0]);
            assertTrue(y32[0] == 2f && Float.isNaN(y16[0]));
        }
        // same with the default scale 1/8: scaled in fp32 before the fp16 rounding, 9800 fits, no overflow
        Case d = new Case("overflow default scale", 1, 1, 1, 1, 2, 64, false, Float.NaN, 0, MaskKind.NONE, 1);
        float[] y16 = run(23, d, in, 10, 10, 10, 10);
        log("  default scale (q.k/8 = 9800): fp16 y[0] = %s", y16[0]);
        flush("overflow");
    }

    /**
     * Minimal reproducer: a hidden key with a large score beats the visible one in fp16, because the fp16 path
     * hides keys by adding -65504 (finite) rather than -inf. Sq = 1 (bool mask) or 2 (is_causal, row 0), Skv = 2,
     * D = 64, scale = 1: q = 30, k0 = -3.5 (visible, score -6720), k1 = 31.25 (hidden, score 60000 -> -5504);
     * v0 = 1, v1 = 3. Expected y = v0 = 1.
     */
    @Test
    void hiddenKeyWithLargeScoreLeaksInFloat16() throws OrtException {
        float[] v = new float[2 * 64];
        java.util.Arrays.fill(v, 0, 64, 1f);
        java.util.Arrays.fill(v, 64, 128, 3f);
        Case bool = new Case("bool", 1, 1, 1, 1, 2, 64, false, 1f, 0, MaskKind.BOOL, 1);
        Inputs inBool = new Inputs(rows(30), rows(-3.5, 31.25), v, new boolean[]{true, false}, null);
        Case causal = new Case("causal", 1, 1, 1, 2, 2, 64, true, 1f, 0, MaskKind.NONE, 1);
        Inputs inCausal = new Inputs(rows(30, 0), rows(-3.5, 31.25), v, null, null);
        Case add = new Case("additive -inf", 1, 1, 1, 1, 2, 64, false, 1f, 0, MaskKind.ADD, 1);
        Inputs inAdd = new Inputs(rows(30), rows(-3.5, 31.25), v, null, new float[]{0, Float.NEGATIVE_INFINITY});
        Case addBig = new Case("additive -65504", 1, 1, 1, 1, 2, 64, false, 1f, 0, MaskKind.ADD, 1);
        Inputs inAddBig = new Inputs(rows(30), rows(-3.5, 31.25), v, null, new float[]{0, -65504f});
        // the last: a finite user bias of -65504 really leaves key 1 ahead (-5504 > -6720), so 3 is right there
        Object[][] cases = {{bool, inBool, 1f}, {causal, inCausal, 1f}, {add, inAdd, 1f}, {addBig, inAddBig, 3f}};
        for (long opset : new long[]{23, 24}) {
            for (Object[] ci : cases) {
                Case c = (Case) ci[0];
                Inputs in = (Inputs) ci[1];
                float expected = (float) ci[2];
                float[] y16 = run(opset, c, in, 10, 10, 10, 10), y32 = run(opset, c, in, 1, 1, 1, 1);
                log("opset %d hidden-key leak, %-16s: fp32 y[0] = %s, fp16 y[0] = %s (expected %s)", opset, c.name(),
                        y32[0], y16[0], expected);
                assertTrue(y32[0] == expected, "fp32 " + c.name());
                // pinned: ONNX Runtime 1.29's fp16 bool / causal masking lets the hidden key win
                boolean leaks = c == bool || c == causal;
                assertTrue(y16[0] == (leaks ? 3f : expected), "fp16 " + c.name());
            }
        }
        flush("leak");
    }
}
