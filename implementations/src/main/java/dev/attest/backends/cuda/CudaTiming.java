package dev.attest.backends.cuda;

import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Layout;
import dev.attest.reference.Tensor;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Plain-Java timing of the cuda backend for a GPU run, the counterpart of {@code scripts/gpu/bench_sdpa.py}: fp32,
 * B=1 H=16 D=64, n in {1024, 4096, 16384}, causal and not, inputs from N(0, 1), CUDA events after a warm-up, inputs
 * resident on the device (transfers excluded). Prints one JSON object per line. A figure is only meaningful for a
 * kernel that passed the conformance suite on the same machine (docs/cuda.md).
 *
 * <pre>java -cp attest.jar dev.attest.backends.cuda.CudaTiming [--kernel flash] [--sizes 1024,4096] [--iters 20]</pre>
 *
 * <p>For n up to 4096 each timed result is also compared with the naive kernel (max abs difference), so a fast wrong
 * answer shows.
 */
public final class CudaTiming {
    private CudaTiming() {
    }

    public static void main(String[] args) {
        Kernel kernel = Kernel.FLASH;
        int[] sizes = {1024, 4096, 16384};
        int warmup = 5, iters = 20;
        for (int a = 0; a < args.length; a += 2) {
            String value = a + 1 < args.length ? args[a + 1] : "";
            switch (args[a]) {
                case "--kernel" -> kernel = Kernel.valueOf(value.toUpperCase(Locale.ROOT));
                case "--sizes" -> sizes = Arrays.stream(value.split(",")).mapToInt(Integer::parseInt).toArray();
                case "--warmup" -> warmup = Integer.parseInt(value);
                case "--iters" -> iters = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("unknown option " + args[a]
                        + "; options: --kernel auto|naive|flash|decode, --sizes, --warmup, --iters");
            }
        }
        CudaBackend backend = new CudaBackend(true, kernel);
        backend.unavailableReason();                        // throws with the reason when there is no GPU
        CudaBackend naive = new CudaBackend(true, Kernel.NAIVE);
        int b = 1, h = 16, d = 64;
        SplittableRandom random = new SplittableRandom(20261123);
        for (int n : sizes) {
            Tensor q = normal(random, b, h, n, d), k = normal(random, b, h, n, d), v = normal(random, b, h, n, d);
            for (boolean causal : new boolean[]{false, true}) {
                AttentionSpec.Builder sb = AttentionSpec.builder().batch(b).heads(h, h).lengths(n, n).headDim(d);
                if (causal) sb.causal(Alignment.TOP_LEFT);
                AttentionProblem p = new AttentionProblem(sb.build(), q, k, v);
                Tensor out = p.allocateOutput(Layout.BHSD);
                float[] ms = backend.timeAttention(p, out, warmup, iters);
                float[] sorted = ms.clone();
                Arrays.sort(sorted);
                double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2.0;
                double flops = 4.0 * b * h * n * (double) n * d * (causal ? 0.5 : 1.0);
                String check = "null";
                if (n <= 4096 && kernel != Kernel.NAIVE) {
                    Tensor ref = p.allocateOutput(Layout.BHSD);
                    naive.attention(p, ref);
                    double worst = 0;
                    for (int e = 0; e < ref.data().length; e++) {
                        worst = Math.max(worst, Math.abs(ref.data()[e] - out.data()[e]));
                    }
                    check = String.format(Locale.ROOT, "%.3e", worst);
                }
                System.out.printf(Locale.ROOT, "{\"impl\":\"attest-cuda\",\"kernel\":\"%s\",\"device\":\"%s\","
                                + "\"dtype\":\"fp32\",\"B\":%d,\"H\":%d,\"D\":%d,\"n\":%d,\"causal\":%b,\"warmup\":%d,"
                                + "\"iters\":%d,\"median_ms\":%.4f,\"min_ms\":%.4f,\"tflops\":%.3f,"
                                + "\"max_abs_vs_naive\":%s,\"times_ms\":%s}%n", kernel.name().toLowerCase(Locale.ROOT),
                        backend.device(), b, h, d, n, causal, warmup, iters, median, sorted[0],
                        flops / median / 1e9, check, Arrays.toString(ms));
            }
        }
    }

    private static Tensor normal(SplittableRandom random, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] data = t.data();
        for (int e = 0; e < data.length; e++) {
            double u1 = random.nextDouble(), u2 = random.nextDouble();
            data[e] = (float) (Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
        }
        return t;
    }
}
