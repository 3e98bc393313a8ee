package dev.attest.properties.cases;

import dev.attest.reference.Mask;

import java.util.SplittableRandom;

/**
 * Random masks for cache chunks: (batches, heads, rows, columns) with columns the absolute key positions, a
 * boolean mask keeping three keys in four, or an additive one of N(0, 4) values with one in five {@code -inf}.
 */
public final class ChunkMasks {
    private ChunkMasks() {
    }

    public static Mask random(int batches, int heads, int rows, int columns, boolean keep, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] shape = {batches, heads, rows, columns};
        int size = batches * heads * rows * columns;
        if (keep) {
            boolean[] values = new boolean[size];
            for (int i = 0; i < size; i++) values[i] = random.nextInt(4) != 0;
            return new Mask.Keep(values, shape);
        }
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = random.nextInt(5) == 0 ? Float.NEGATIVE_INFINITY : (float) (2 * AttentionCase.gaussian(random));
        }
        return new Mask.Bias(values, shape);
    }
}
