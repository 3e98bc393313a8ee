package dev.attest.backends;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.Layout;
import dev.attest.reference.Mask;
import dev.attest.reference.Tensor;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Random problems and comparisons shared by the backend tests. */
final class Problems {
    private Problems() {
    }

    static Tensor random(Random rnd, Layout layout, int b, int h, int s, int d) {
        Tensor t = layout.allocate(b, h, s, d);
        t.forEachIndex(i -> t.data()[i] = (float) rnd.nextGaussian());
        return t;
    }

    static Tensor randomMatrix(Random rnd, int rows, int cols, double scale) {
        float[] data = new float[rows * cols];
        for (int i = 0; i < data.length; i++) data[i] = (float) (rnd.nextGaussian() * scale);
        return Tensor.of(data, rows, cols);
    }

    static Tensor randomVector(Random rnd, int n) {
        float[] data = new float[n];
        for (int i = 0; i < n; i++) data[i] = (float) rnd.nextGaussian();
        return Tensor.of(data, n);
    }

    /** A (B, S, width) sequence; {@code strided} stores it as (S, B, width) and permutes, so it is not dense. */
    static Tensor randomSequence(Random rnd, int b, int s, int width, boolean strided) {
        Tensor t = strided ? Tensor.zeros(s, b, width).permute(1, 0, 2) : Tensor.zeros(b, s, width);
        t.forEachIndex(i -> t.data()[i] = (float) rnd.nextGaussian());
        return t;
    }

    static AttentionProblem attention(Random rnd, AttentionSpec spec, Layout qL, Layout kL, Layout vL, Mask mask,
                                      int[] keyLengths) {
        return new AttentionProblem(spec,
                random(rnd, qL, spec.batch(), spec.qHeads(), spec.qLength(), spec.qkHeadDim()),
                random(rnd, kL, spec.batch(), spec.kvHeads(), spec.kvLength(), spec.qkHeadDim()),
                random(rnd, vL, spec.batch(), spec.kvHeads(), spec.kvLength(), spec.vHeadDim()), mask, keyLengths);
    }

    static Mask.Keep randomKeep(Random rnd, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        boolean[] keep = new boolean[n];
        for (int i = 0; i < n; i++) keep[i] = rnd.nextDouble() < 0.7;
        return new Mask.Keep(keep, shape);
    }

    static Mask.Bias randomBias(Random rnd, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] bias = new float[n];
        for (int i = 0; i < n; i++) {
            bias[i] = rnd.nextDouble() < 0.2 ? Float.NEGATIVE_INFINITY : (float) rnd.nextGaussian();
        }
        return new Mask.Bias(bias, shape);
    }

    static LayerWeights weights(Random rnd, LayerSpec spec) {
        int in = spec.keyValueSourceDim();
        double s = 1 / Math.sqrt(spec.modelDim());
        boolean bias = spec.biases();
        int r = spec.loraRank();
        return new LayerWeights(
                randomMatrix(rnd, spec.modelDim(), spec.qWidth(), s), bias ? randomVector(rnd, spec.qWidth()) : null,
                randomMatrix(rnd, in, spec.kWidth(), 1 / Math.sqrt(in)), bias ? randomVector(rnd, spec.kWidth()) : null,
                randomMatrix(rnd, in, spec.vWidth(), 1 / Math.sqrt(in)), bias ? randomVector(rnd, spec.vWidth()) : null,
                randomMatrix(rnd, spec.concatWidth(), spec.outputDim(), 1 / Math.sqrt(spec.concatWidth())),
                bias ? randomVector(rnd, spec.outputDim()) : null,
                r == 0 ? null : lora(rnd, spec.modelDim(), r, spec.qWidth()),
                r == 0 ? null : lora(rnd, in, r, spec.kWidth()),
                r == 0 ? null : lora(rnd, in, r, spec.vWidth()));
    }

    private static LayerWeights.Lora lora(Random rnd, int in, int r, int out) {
        return new LayerWeights.Lora(randomMatrix(rnd, in, r, 0.3), randomMatrix(rnd, r, out, 0.3), 2.0 * r);
    }

    static LayerProblem layer(Random rnd, LayerSpec spec, boolean stridedInput, Mask mask, int[] keyLengths,
                              int queryPosition, int keyPosition) {
        var core = spec.core();
        Tensor x = randomSequence(rnd, core.batch(), core.qLength(), spec.modelDim(), stridedInput);
        Tensor memory = spec.crossAttention()
                ? randomSequence(rnd, core.batch(), core.kvLength(), spec.memoryDim(), stridedInput) : null;
        return new LayerProblem(spec, weights(rnd, spec), x, memory, mask, keyLengths, queryPosition, keyPosition);
    }

    /** Element-wise {@code |a - e| <= rel * max(|a|, |e|) + abs}, NaN matching NaN, in row-major logical order. */
    static void assertClose(Tensor expected, Tensor actual, double rel, double abs, String what) {
        float[] e = expected.toArray(), a = actual.toArray();
        assertEquals(e.length, a.length, what + ": sizes");
        for (int i = 0; i < e.length; i++) {
            if (Float.isNaN(e[i]) || Float.isNaN(a[i])) {
                assertTrue(Float.isNaN(e[i]) && Float.isNaN(a[i]), what + ": element " + i + " expected " + e[i]
                        + " but was " + a[i]);
                continue;
            }
            double tol = rel * Math.max(Math.abs(e[i]), Math.abs(a[i])) + abs;
            assertTrue(Math.abs(e[i] - a[i]) <= tol, what + ": element " + i + " expected " + e[i] + " but was "
                    + a[i]);
        }
    }
}
