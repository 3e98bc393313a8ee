package dev.attest.backends.cuda;

import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Layout;
import dev.attest.reference.Mask;
import dev.attest.reference.Tensor;
import dev.attest.reference.Window;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs the kernels' own source (attention.cu) on the CPU through a small emulation of the CUDA features it uses
 * ({@code src/test/emu/cuda_emu.h}: a block is blockDim std::threads, __syncthreads a barrier, shuffles through a
 * slot array) and compares each softmax kernel with cpu-naive on random problems that cover the whole mask contract:
 * GQA, Dqk != Dv, custom scale, softcap, causal with every alignment (negative offsets too), windows, key padding
 * with NaN in the padded keys and values, broadcast boolean and additive masks with -inf, fully masked rows, and
 * lengths that cross tile (32) and decode-split (256) boundaries. The chunked linear kernel is compared with its
 * recurrence. This checks indexing, masking, tile skipping and the softmax algebra of the real source without a GPU;
 * it does not check the hardware: timing, races a real warp could expose, CUDA's expf/tanhf, the driver path.
 *
 * <p>Runs when g++ (C++20) is on the PATH, otherwise skipped with that reason.
 */
class KernelEmulationTest {
    private static final int NAIVE = 0, FLASH = 1, DECODE = 2, LINEAR = 3;
    private static Path emulator;
    private static String unavailable;

    @BeforeAll
    static void compileTheEmulator() throws Exception {
        Path dir = Files.createTempDirectory("attest-cuda-emu");
        String source = Files.readString(Path.of("src/main/cuda/attention.cu"));
        String hosted = source.replace("extern __shared__ float smem[];", "float* smem = EMU_DYNAMIC_SHARED;");
        assertNotEquals(source, hosted, "attention.cu no longer declares extern __shared__ float smem[]");
        Files.writeString(dir.resolve("attention_emu.cu"), hosted);
        Path exe = dir.resolve("emu");
        List<String> cmd = List.of("g++", "-std=c++20", "-O2", "-I", dir.toString(), "-I",
                Path.of("src/test/emu").toAbsolutePath().toString(), "-o", exe.toString(),
                Path.of("src/test/emu/emu_main.cpp").toAbsolutePath().toString());
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            unavailable = "g++ is not on the PATH: " + e.getMessage();
            return;
        }
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "g++ timed out");
        assertEquals(0, p.exitValue(), () -> "the emulator does not compile:\n" + log);
        emulator = exe;
    }

    /** Problem shapes: any (tiles cross 32), few queries over 200..800 keys (splits cross 256), few over few. */
    enum Shapes { GENERAL, LONG_CACHE, SHORT_CACHE }

    /** A random problem over the whole mask contract. */
    static AttentionProblem randomProblem(SplittableRandom r, Shapes shapes) {
        int b = 1 + r.nextInt(2), hkv = 1 + r.nextInt(2), hq = hkv * (1 + r.nextInt(3));
        int sq = switch (shapes) {
            case GENERAL -> 1 + r.nextInt(70);
            case LONG_CACHE -> 1 + r.nextInt(4);
            case SHORT_CACHE -> 1 + r.nextInt(6);
        };
        int skv = shapes == Shapes.LONG_CACHE ? 200 + r.nextInt(600) : 1 + r.nextInt(80);
        int dqk = r.nextInt(8) == 0 ? 128 : 1 + r.nextInt(40);
        int dv = r.nextBoolean() ? dqk : 1 + r.nextInt(70);
        AttentionSpec.Builder sb = AttentionSpec.builder().batch(b).heads(hq, hkv).lengths(sq, skv).headDims(dqk, dv);
        if (r.nextInt(3) == 0) sb.scale(0.05 + r.nextDouble());
        if (r.nextInt(3) == 0) sb.softcap(1 + 10 * r.nextDouble());
        Alignment align = switch (r.nextInt(3)) {
            case 0 -> Alignment.TOP_LEFT;
            case 1 -> Alignment.BOTTOM_RIGHT;
            default -> Alignment.offset(r.nextInt(-6, skv + 3));
        };
        boolean causal = r.nextBoolean();
        Window window = r.nextInt(3) == 0 ? new Window(r.nextBoolean() ? Window.UNBOUNDED : r.nextInt(40),
                r.nextBoolean() ? Window.UNBOUNDED : r.nextInt(40)) : null;
        sb.masking(causal, causal || window != null ? align : null, window);
        AttentionSpec spec = sb.build();

        Tensor q = normal(r, b, hq, sq, dqk), k = normal(r, b, hkv, skv, dqk), v = normal(r, b, hkv, skv, dv);
        int[] lengths = null;
        if (r.nextInt(3) == 0) {
            lengths = new int[b];
            for (int i = 0; i < b; i++) lengths[i] = r.nextInt(skv + 1);
            for (int bi = 0; bi < b; bi++) {                 // padded keys hold NaN: it must not leak
                for (int h = 0; h < hkv; h++) {
                    for (int j = lengths[bi]; j < skv; j++) {
                        k.set(Float.NaN, bi, h, j, 0);
                        v.set(Float.NaN, bi, h, j, 0);
                    }
                }
            }
        }
        Mask mask = null;
        int kind = r.nextInt(3);
        if (kind > 0) {
            int[] full = {b, hq, sq, skv};
            int[] shape = new int[4];
            int n = 1;
            for (int a = 0; a < 4; a++) {
                shape[a] = r.nextBoolean() ? 1 : full[a];
                n *= shape[a];
            }
            if (kind == 1) {
                boolean[] keep = new boolean[n];
                for (int e = 0; e < n; e++) keep[e] = r.nextInt(4) != 0;
                mask = new Mask.Keep(keep, shape);
            } else {
                float[] bias = new float[n];
                for (int e = 0; e < n; e++) bias[e] = r.nextInt(5) == 0 ? Float.NEGATIVE_INFINITY
                        : (float) (r.nextDouble() * 4 - 2);
                mask = new Mask.Bias(bias, shape);
            }
        }
        return new AttentionProblem(spec, q, k, v, mask, lengths);
    }

    static Tensor normal(SplittableRandom r, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int e = 0; e < t.data().length; e++) {
            t.data()[e] = (float) (Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
        }
        return t;
    }

    /** Writes problems in emu_main.cpp's input format. */
    static void write(Path file, List<AttentionProblem> problems, int kernel) throws IOException {
        try (OutputStream os = Files.newOutputStream(file)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            Writer w = new Writer(os, buf);
            w.i(problems.size());
            for (AttentionProblem p : problems) {
                AttentionSpec s = p.spec();
                w.i(kernel);
                w.i(s.batch()); w.i(s.qHeads()); w.i(s.kvHeads()); w.i(s.qLength()); w.i(s.kvLength());
                w.i(s.qkHeadDim()); w.i(s.vHeadDim());
                w.f((float) s.effectiveScale()); w.f((float) s.softcap());
                Window win = s.window();
                w.i(s.causal() ? 1 : 0); w.i(s.positionOffset()); w.i(win != null ? 1 : 0);
                w.i(win == null ? Masking.UNBOUNDED : win.left()); w.i(win == null ? Masking.UNBOUNDED : win.right());
                Mask m = p.mask();
                w.i(m instanceof Mask.Keep ? Masking.MASK_KEEP : m instanceof Mask.Bias ? Masking.MASK_BIAS : Masking.MASK_NONE);
                w.i(p.keyLengths() != null ? 1 : 0);
                int[] strides = m == null ? new int[4]
                        : m.broadcastTo(s.batch(), s.qHeads(), s.qLength(), s.kvLength()).strides();
                for (int st : strides) w.i(st);
                int count = m instanceof Mask.Keep keep ? keep.keep().length : m instanceof Mask.Bias bias ? bias.bias().length : 0;
                w.i(count);
                w.i(CudaRuntime.flashSharedBytes(s.qkHeadDim(), s.vHeadDim()));
                w.i(CudaRuntime.decodeSharedBytes(s));
                for (float x : p.query().toArray()) w.f(x);
                for (float x : p.key().toArray()) w.f(x);
                for (float x : p.value().toArray()) w.f(x);
                if (p.keyLengths() != null) for (int len : p.keyLengths()) w.i(len);
                if (m instanceof Mask.Keep keep) for (boolean x : keep.keep()) w.i(x ? 1 : 0);
                if (m instanceof Mask.Bias bias) for (float x : bias.bias()) w.f(x);
            }
            w.flush();
        }
    }

    private record Writer(OutputStream os, ByteBuffer buf) {
        void i(int v) throws IOException { room(); buf.putInt(v); }
        void f(float v) throws IOException { room(); buf.putFloat(v); }
        void room() throws IOException { if (buf.remaining() < 8) flush(); }
        void flush() throws IOException { os.write(buf.array(), 0, buf.position()); buf.clear(); }
    }

    static float[] runEmulator(Path in) throws Exception {
        Path out = in.resolveSibling(in.getFileName() + ".out");
        Process p = new ProcessBuilder(emulator.toString(), in.toString(), out.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "emulator timed out");
        assertEquals(0, p.exitValue(), () -> "emulator failed:\n" + log);
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[bytes.remaining() / 4];
        bytes.asFloatBuffer().get(values);
        return values;
    }

    private void checkKernel(int kernel, String name, Shapes shapes, long seed, int count) throws Exception {
        assumeTrue(emulator != null, () -> unavailable);
        SplittableRandom r = new SplittableRandom(seed);
        List<AttentionProblem> problems = new ArrayList<>();
        for (int i = 0; i < count; i++) problems.add(randomProblem(r, shapes));
        Path in = Files.createTempFile("attest-emu-" + name, ".bin");
        write(in, problems, kernel);
        float[] all = runEmulator(in);
        int at = 0;
        CpuNaiveBackend naive = new CpuNaiveBackend();
        for (int i = 0; i < problems.size(); i++) {
            AttentionProblem p = problems.get(i);
            Tensor ref = p.allocateOutput(Layout.BHSD);
            naive.attention(p, ref);
            float[] expected = ref.data();
            for (int e = 0; e < expected.length; e++) {
                float want = expected[e], got = all[at + e];
                int index = e;
                if (Float.isNaN(want)) {
                    assertTrue(Float.isNaN(got), () -> name + ", " + p + ": element " + index + " expected NaN but was "
                            + got);
                    continue;
                }
                double allowed = 2e-5 * (1 + Math.abs(want));
                assertTrue(Math.abs(want - got) <= allowed, () -> String.format(
                        "%s, %s: element %d expected %s but was %s", name, p, index, want, got));
            }
            at += expected.length;
        }
        assertEquals(all.length, at, "the emulator wrote a different number of outputs");
        System.out.println(name + ": " + problems.size() + " emulated problems agree with cpu-naive");
    }

    @Test
    void naiveKernelsAgreeWithCpuNaive() throws Exception {
        checkKernel(NAIVE, "naive", Shapes.GENERAL, 11, 40);
    }

    @Test
    void flashKernelAgreesWithCpuNaive() throws Exception {
        checkKernel(FLASH, "flash_forward", Shapes.GENERAL, 12, 60);
    }

    @Test
    void flashKernelOnDecodeShapes() throws Exception {
        checkKernel(FLASH, "flash_forward (long caches)", Shapes.LONG_CACHE, 13, 12);
    }

    @Test
    void decodeKernelsAgreeWithCpuNaive() throws Exception {
        checkKernel(DECODE, "decode", Shapes.LONG_CACHE, 14, 25);
    }

    @Test
    void decodeKernelsOnShortCaches() throws Exception {
        checkKernel(DECODE, "decode (short caches)", Shapes.SHORT_CACHE, 15, 25);
    }

    @Test
    void chunkedLinearAgreesWithItsRecurrence() throws Exception {
        assumeTrue(emulator != null, () -> unavailable);
        SplittableRandom r = new SplittableRandom(16);
        List<AttentionProblem> problems = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int n = 1 + r.nextInt(90), dk = 1 + r.nextInt(40), dv = 1 + r.nextInt(70), h = 1 + r.nextInt(2);
            AttentionSpec spec = AttentionSpec.builder().heads(h, h).lengths(n, n).headDims(dk, dv).build();
            problems.add(new AttentionProblem(spec, normal(r, 1, h, n, dk), normal(r, 1, h, n, dk), normal(r, 1, h, n, dv)));
        }
        Path in = Files.createTempFile("attest-emu-linear", ".bin");
        write(in, problems, LINEAR);
        float[] all = runEmulator(in);
        int at = 0;
        for (AttentionProblem p : problems) {
            AttentionSpec s = p.spec();
            int h = s.qHeads(), n = s.qLength(), dk = s.qkHeadDim(), dv = s.vHeadDim();
            float[] q = p.query().toArray(), k = p.key().toArray(), v = p.value().toArray();
            double[] state = new double[h * dk * dv];
            for (int hh = 0; hh < h; hh++) {
                for (int t = 0; t < n; t++) {
                    for (int a = 0; a < dk; a++) {              // S += k_t v_t^T, then o_t = q_t . S
                        for (int c = 0; c < dv; c++) {
                            state[(hh * dk + a) * dv + c] += (double) k[(hh * n + t) * dk + a] * v[(hh * n + t) * dv + c];
                        }
                    }
                    for (int c = 0; c < dv; c++) {
                        double o = 0;
                        for (int a = 0; a < dk; a++) o += q[(hh * n + t) * dk + a] * state[(hh * dk + a) * dv + c];
                        float got = all[at + (hh * n + t) * dv + c];
                        double tolerance = 1e-4 * (1 + Math.abs(o)) + 1e-5 * n * dk;
                        assertEquals(o, got, tolerance, "linear " + s + " output t=" + t + " c=" + c);
                    }
                }
            }
            at += h * n * dv;
            for (int e = 0; e < state.length; e++) {
                assertEquals(state[e], all[at + e], 1e-4 * (1 + Math.abs(state[e])) + 1e-5 * n, "linear state " + e);
            }
            at += state.length;
        }
        assertEquals(all.length, at);
    }
}
