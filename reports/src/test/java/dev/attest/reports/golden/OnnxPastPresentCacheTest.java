package dev.attest.reports.golden;

import dev.attest.backends.batched.CpuBatchedBackend;
import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.backends.tiled.CpuTiledBackend;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.AuxiliaryOutputs;
import dev.attest.reference.Mask;
import dev.attest.reference.ScoreStage;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.Chunk;
import dev.attest.reference.cache.Eviction;
import dev.attest.reference.cache.Past;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.KvCache;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ONNX's own past/present {@code Attention} node tests (opset 23, 3-D and 4-D, masks, GQA, softcap, the qk outputs),
 * run through a KV cache as a serving engine runs them: the cache opened from {@code past_key}/{@code past_value}
 * ({@link Past}), the step appended as one chunk (Q, K and V with their own lengths, the mask over absolute key
 * positions), Y compared with ONNX's as its tests compare ({@code assert_allclose(rtol=1e-3, atol=1e-7)}),
 * {@code present_key}/{@code present_value} bit for bit, and {@code qk_matmul_output} through the auxiliary outputs
 * of the same step without a cache. The data: {@code src/test/resources/onnx-past-present/README.md}.
 */
class OnnxPastPresentCacheTest {
    private static final Path ROOT = Path.of("src/test/resources/onnx-past-present/onnx");
    private static final int FLOAT = 1, FLOAT16 = 10, BOOL = 9;
    private static final List<String> INPUTS = List.of("Q", "K", "V", "attn_mask", "past_key", "past_value");

    @Test
    void everyPastPresentCaseGivesYAndPresentThroughACacheOnEveryCpuBackend() throws Exception {
        List<Path> cases = OnnxGoldenConverter.cases(ROOT);
        assertEquals(20, cases.size(), "the 20 past/present cases of ONNX's attention.py (19 fp32, 1 fp16)");
        List<String> failures = new ArrayList<>(), unsupported = new ArrayList<>();
        int checked = 0, expected = 0;
        for (AttentionBackend backend : List.of(new CpuNaiveBackend(), new CpuBatchedBackend(), new CpuTiledBackend())) {
            for (Path dir : cases) {
                OnnxGoldenConverter.Node node = OnnxGoldenConverter.Node.of(Files.readAllBytes(dir.resolve("model.onnx")));
                boolean fp16 = dir.getFileName().toString().endsWith("_fp16");
                if (fp16 && !backend.capabilities().supports(dev.attest.spi.TensorTypes.uniform(
                        dev.attest.reference.ElementType.FP16))) {
                    unsupported.add(backend.name() + " " + dir.getFileName());   // declared: fp32 only
                    continue;
                }
                expected += 3 + (node.outputs().size() > 3 && !node.outputs().get(3).isEmpty() ? 1 : 0);
                try {
                    checked += check(dir, backend);
                } catch (AssertionError | RuntimeException e) {
                    failures.add(backend.name() + " " + dir.getFileName() + ": " + e.getMessage());
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
        assertEquals(List.of("cpu-batched test_attention_4d_gqa_with_past_and_present_fp16"), unsupported);
        assertEquals(expected, checked, "Y, present_key and present_value of every case, and each qk output");
        assertTrue(checked >= 3 * 59 + 2 * 3, "every case compared: " + checked);
    }

    /** One case through one backend; returns how many outputs it compared. */
    private static int check(Path dir, AttentionBackend backend) throws IOException, OnnxGoldenConverter.NotExpressible {
        OnnxGoldenConverter.Node node = OnnxGoldenConverter.Node.of(Files.readAllBytes(dir.resolve("model.onnx")));
        Path data = dir.resolve("test_data_set_0");
        Map<String, OnnxGoldenConverter.OnnxTensor> in = new LinkedHashMap<>();
        for (int i = 0; Files.exists(data.resolve("input_" + i + ".pb")); i++) {
            OnnxGoldenConverter.OnnxTensor t = OnnxGoldenConverter.OnnxTensor.of(Files.readAllBytes(
                    data.resolve("input_" + i + ".pb")));
            in.put(INPUTS.get(node.inputs().indexOf(t.name())), t);
        }
        Map<String, Double> at = node.attributes();
        int hq = at.containsKey("q_num_heads") ? at.get("q_num_heads").intValue() : -1;
        int hkvAttr = at.containsKey("kv_num_heads") ? at.get("kv_num_heads").intValue() : -1;
        Tensor q = bhsd(in.get("Q"), hq), k = bhsd(in.get("K"), hkvAttr), v = bhsd(in.get("V"), hkvAttr);
        Tensor pastK = tensor(in.get("past_key")), pastV = tensor(in.get("past_value"));
        int b = q.dim(0), heads = q.dim(1), nq = q.dim(2), dqk = q.dim(3), hkv = k.dim(1), dv = v.dim(3);
        int past = pastK.dim(2), total = past + k.dim(2);

        AttentionSpec.Builder spec = AttentionSpec.builder().batch(b).heads(heads, hkv).headDims(dqk, dv);
        if (at.containsKey("scale")) spec.scale(at.get("scale"));
        if (at.getOrDefault("softcap", 0.0) != 0) spec.softcap(at.get("softcap"));
        boolean causal = at.getOrDefault("is_causal", 0.0) != 0;
        if (causal) spec.causal(Alignment.TOP_LEFT);
        CacheSpec cacheSpec = CacheSpec.core(spec.build(), total, Eviction.NONE);
        if (q.type() != dev.attest.reference.ElementType.FP32) {
            cacheSpec = cacheSpec.withTypes(dev.attest.reference.cache.CacheTypes.of(q.type(), q.type()));
        }
        Mask mask = mask(in.get("attn_mask"));

        KvCache cache = backend.openCache(cacheSpec, Past.of(pastK, pastV));
        Tensor y = Tensor.zeros(q.type(), b, heads, nq, dv);
        cache.append(Chunk.core(q, k, v).withMask(mask), y);

        String ySaid = requireClose("Y", merged(y, node, data), floats(output(data, 0)));
        if (ySaid != null) throw new AssertionError(ySaid);
        requireBits("present_key", cache.presentKey(), output(data, 1));
        requireBits("present_value", cache.presentValue(), output(data, 2));
        int compared = 3;

        if (node.outputs().size() > 3 && !node.outputs().get(3).isEmpty()) {
            // qk_matmul_output: the same step as one problem over concat(past, K), causal at offset past
            ScoreStage stage = ScoreStage.ofOnnxMode(at.getOrDefault("qk_matmul_output_mode", 0.0).intValue());
            AttentionSpec one = spec.lengths(nq, total).masking(causal, causal ? Alignment.offset(past) : null, null)
                    .build();
            AttentionProblem step = new AttentionProblem(one, q, concat(pastK, k), concat(pastV, v),
                    padded(mask, total), null);
            AuxiliaryOutputs aux = AuxiliaryOutputs.allocate(one, false, stage);
            backend.attention(step, Tensor.zeros(q.type(), b, heads, nq, dv), aux);
            String said = requireClose("qk_matmul_output (" + stage + ")", aux.scores().toArray(),
                    floats(output(data, 3)));
            if (said != null) throw new AssertionError(said);
            compared++;
        }
        return compared;
    }

    private static OnnxGoldenConverter.OnnxTensor output(Path data, int i) throws IOException {
        return OnnxGoldenConverter.OnnxTensor.of(Files.readAllBytes(data.resolve("output_" + i + ".pb")));
    }

    /** A float tensor as stored; a 3-D (B, S, H*D) one as (B, H, S, D) with {@code heads} heads. */
    private static Tensor bhsd(OnnxGoldenConverter.OnnxTensor t, int heads) {
        if (t.dims().length == 4) return tensor(t);
        int b = (int) t.dims()[0], s = (int) t.dims()[1], d = (int) t.dims()[2] / heads;
        float[] x = floats(t);
        Tensor out = Tensor.zeros(b, heads, s, d);
        for (int i = 0; i < b; i++)
            for (int j = 0; j < s; j++)
                for (int h = 0; h < heads; h++)
                    for (int e = 0; e < d; e++) out.set(x[((i * s + j) * heads + h) * d + e], i, h, j, e);
        return out;
    }

    /** A float or float16 tensor as stored (fp16 bits kept). */
    private static Tensor tensor(OnnxGoldenConverter.OnnxTensor t) {
        int[] shape = Arrays.stream(t.dims()).mapToInt(Math::toIntExact).toArray();
        return t.dataType() == FLOAT16 ? Tensor.ofBits(halves(t), dev.attest.reference.ElementType.FP16, shape)
                : Tensor.of(floats(t), shape);
    }

    private static short[] halves(OnnxGoldenConverter.OnnxTensor t) {
        short[] bits = new short[t.raw().length / 2];
        ByteBuffer.wrap(t.raw()).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(bits);
        return bits;
    }

    /** The values of a float or float16 tensor. */
    private static float[] floats(OnnxGoldenConverter.OnnxTensor t) {
        if (t.dataType() == FLOAT16) {
            short[] bits = halves(t);
            float[] out = new float[bits.length];
            for (int i = 0; i < bits.length; i++) out[i] = dev.attest.reference.ElementType.FP16.decode(bits[i] & 0xffff);
            return out;
        }
        if (t.dataType() != FLOAT) throw new AssertionError(t.name() + " is neither float nor float16");
        float[] out = new float[t.raw().length / 4];
        ByteBuffer.wrap(t.raw()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** ONNX's attn_mask as a chunk mask: its columns are absolute key positions, a short one masks the rest. */
    private static Mask mask(OnnxGoldenConverter.OnnxTensor t) {
        if (t == null) return null;
        int[] shape = Arrays.stream(t.dims()).mapToInt(Math::toIntExact).toArray();
        if (t.dataType() == BOOL) {
            boolean[] keep = new boolean[t.raw().length];
            for (int i = 0; i < keep.length; i++) keep[i] = t.raw()[i] != 0;
            return new Mask.Keep(keep, shape);
        }
        return new Mask.Bias(floats(t), shape);    // fp32 or fp16 values, exact in fp32
    }

    /** The mask with its key axis padded to {@code keys} (false or -inf), as a whole problem's mask must span. */
    private static Mask padded(Mask mask, int keys) {
        if (mask == null) return null;
        int[] shape = mask.shape();
        int own = shape[shape.length - 1], rows = 1;
        for (int a = 0; a < shape.length - 1; a++) rows *= shape[a];
        int[] wide = shape.clone();
        wide[wide.length - 1] = keys;
        if (mask instanceof Mask.Keep keep) {
            boolean[] out = new boolean[rows * keys];
            for (int r = 0; r < rows; r++) System.arraycopy(keep.keep(), r * own, out, r * keys, own);
            return new Mask.Keep(out, wide);
        }
        float[] out = new float[rows * keys];
        Arrays.fill(out, Float.NEGATIVE_INFINITY);
        for (int r = 0; r < rows; r++) System.arraycopy(((Mask.Bias) mask).bias(), r * own, out, r * keys, own);
        return new Mask.Bias(out, wide);
    }

    private static Tensor concat(Tensor a, Tensor c) {
        Tensor out = Tensor.zeros(a.type(), a.dim(0), a.dim(1), a.dim(2) + c.dim(2), a.dim(3));
        for (int i = 0; i < a.dim(0); i++)
            for (int h = 0; h < a.dim(1); h++) {
                for (int s = 0; s < a.dim(2); s++) for (int d = 0; d < a.dim(3); d++) out.set(a.get(i, h, s, d), i, h, s, d);
                for (int s = 0; s < c.dim(2); s++)
                    for (int d = 0; d < a.dim(3); d++) out.set(c.get(i, h, s, d), i, h, a.dim(2) + s, d);
            }
        return out;
    }

    /** Y as ONNX stores it: (B, S, Hq*Dv) for a 3-D case, else (B, Hq, S, Dv); row-major values. */
    private static float[] merged(Tensor y, OnnxGoldenConverter.Node node, Path data) throws IOException {
        if (output(data, 0).dims().length == 4) return y.toArray();
        int b = y.dim(0), h = y.dim(1), s = y.dim(2), d = y.dim(3);
        float[] out = new float[b * s * h * d];
        for (int i = 0; i < b; i++)
            for (int j = 0; j < s; j++)
                for (int k = 0; k < h; k++)
                    for (int e = 0; e < d; e++) out[((i * s + j) * h + k) * d + e] = y.get(i, k, j, e);
        return out;
    }

    /** numpy's assert_allclose(rtol=1e-3, atol=1e-7), infinities equal; null when it holds, else what differs. */
    private static String requireClose(String what, float[] got, float[] want) {
        if (got.length != want.length) return what + " has " + got.length + " elements, ONNX " + want.length;
        for (int i = 0; i < got.length; i++) {
            boolean ok = Float.isInfinite(want[i]) ? got[i] == want[i]
                    : Math.abs(got[i] - want[i]) <= OnnxGoldenConverter.ONNX_ATOL + OnnxGoldenConverter.ONNX_RTOL
                    * Math.abs(want[i]);
            if (!ok) return what + "[" + i + "] is " + got[i] + ", ONNX " + want[i];
        }
        return null;
    }

    private static void requireBits(String what, Tensor got, OnnxGoldenConverter.OnnxTensor want) {
        assertEquals(Arrays.toString(want.dims()), Arrays.toString(Arrays.stream(got.shape()).asLongStream()
                .toArray()), what + " shape");
        int[] expected = tensor(want).toBitsArray(), actual = got.toBitsArray();
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                throw new AssertionError(what + "[" + i + "] has bits " + Integer.toHexString(actual[i]) + ", ONNX "
                        + Integer.toHexString(expected[i]));
            }
        }
    }
}
