package dev.attest.properties.cases;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Tensor;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.packed.PackedLayerProblem;
import dev.attest.reference.packed.PackedProblem;

import java.util.SplittableRandom;

/**
 * A core problem's batch packed as a variable-length batch: sequence b keeps its first {@code Sq_b} query rows and
 * its first {@code Sk_b} keys (drawn from a seed, each from 0 to the problem's length, so empty sequences occur),
 * stored one after another in (total, H, D) tensors with their cu_seqlens offsets. Masks and key padding are not
 * carried (a packed batch has none); the spec's other options are.
 */
public final class PackedBatches {
    private PackedBatches() {
    }

    public static PackedProblem packed(AttentionProblem p, long seed) {
        AttentionSpec spec = p.spec();
        int batch = spec.batch();
        SplittableRandom random = new SplittableRandom(seed);
        int[] cuQ = new int[batch + 1], cuK = new int[batch + 1];
        int longestQ = 0, longestK = 0;
        for (int b = 0; b < batch; b++) {
            int sq = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(spec.qLength());
            int sk = random.nextInt(5) == 0 ? 0 : 1 + random.nextInt(spec.kvLength());
            if (b == batch - 1 && cuQ[b] + sq == 0) sq = 1;         // at least one query row and one key in the batch
            if (b == batch - 1 && cuK[b] + sk == 0) sk = 1;
            cuQ[b + 1] = cuQ[b] + sq;
            cuK[b + 1] = cuK[b] + sk;
            longestQ = Math.max(longestQ, sq);
            longestK = Math.max(longestK, sk);
        }
        AttentionSpec packedSpec = spec.toBuilder().lengths(Math.max(1, longestQ), Math.max(1, longestK)).build();
        return new PackedProblem(packedSpec, rows(p.query(), cuQ), rows(p.key(), cuK), rows(p.value(), cuK), cuQ, cuK);
    }

    /**
     * A self-attention layer problem's batch packed: sequence b keeps its first {@code n_b} rows of X (drawn from
     * a seed, 0 to S, at least one row in the batch), stored (total, dModel) with their cu_seqlens.
     */
    public static PackedLayerProblem packedLayer(LayerProblem p, long seed) {
        LayerSpec spec = p.spec();
        int batch = spec.core().batch(), length = spec.core().qLength(), width = spec.modelDim();
        SplittableRandom random = new SplittableRandom(seed);
        int[] cu = new int[batch + 1];
        int longest = 0;
        for (int b = 0; b < batch; b++) {
            int n = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(length);
            if (b == batch - 1 && cu[b] + n == 0) n = 1;
            cu[b + 1] = cu[b] + n;
            longest = Math.max(longest, n);
        }
        Tensor x = Tensor.zeros(p.input().type(), cu[batch], width);
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < cu[b + 1] - cu[b]; i++) {
                for (int c = 0; c < width; c++) x.setBits(p.input().bits(b, i, c), cu[b] + i, c);
            }
        }
        AttentionSpec core = spec.core().toBuilder().lengths(Math.max(1, longest), Math.max(1, longest)).build();
        LayerSpec packedSpec = new LayerSpec(core, width, 0, spec.outputDim(), spec.biases(), spec.rotary(),
                spec.loraRank());
        return new PackedLayerProblem(packedSpec, p.weights(), x, cu);
    }

    /** The first cu[b+1] - cu[b] rows of each batch row b of a (B, H, S, D) tensor, packed (total, H, D). */
    private static Tensor rows(Tensor t, int[] cu) {
        int heads = t.dim(1), dim = t.dim(3);
        Tensor out = Tensor.zeros(t.type(), cu[cu.length - 1], heads, dim);
        for (int b = 0; b + 1 < cu.length; b++) {
            for (int i = 0; i < cu[b + 1] - cu[b]; i++) {
                for (int h = 0; h < heads; h++) {
                    for (int d = 0; d < dim; d++) out.setBits(t.bits(b, h, i, d), cu[b] + i, h, d);
                }
            }
        }
        return out;
    }
}
