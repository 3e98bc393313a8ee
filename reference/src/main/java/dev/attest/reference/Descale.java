package dev.attest.reference;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * The dequantisation factor of an fp8 tensor: element {@code (b, h, ...)} stands for {@code stored * factor(b, h)}.
 * One factor for the whole tensor, one per head, or one per (batch, head), as FlashAttention 3's {@code q_descale},
 * {@code k_descale}, {@code v_descale} (shape (B, Hkv)) and vLLM's per-tensor {@code k_scale}/{@code v_scale}.
 *
 * @param factors row-major over (batches, heads)
 * @param batches 1 (shared by every batch) or B
 * @param heads   1 (shared by every head) or H
 */
public record Descale(float[] factors, int batches, int heads) {
    public Descale {
        require(factors != null, "descale factors must not be null");
        require(batches >= 1 && heads >= 1 && (long) batches * heads == factors.length,
                "descale of %d x %d needs %d factors, got %d", batches, heads, (long) batches * heads, factors.length);
        factors = factors.clone();
        for (int i = 0; i < factors.length; i++) {
            require(Float.isFinite(factors[i]) && factors[i] > 0, "descale factor %d is %s; it must be finite and > 0",
                    i, factors[i]);
        }
    }

    /** One factor for the whole tensor. */
    public static Descale of(float factor) {
        return new Descale(new float[]{factor}, 1, 1);
    }

    /** One factor per head, shared by the batches. */
    public static Descale perHead(float... factors) {
        return new Descale(factors, 1, factors.length);
    }

    public static final Descale ONE = of(1f);

    /**
     * The descale quantising code chooses for {@code values} (logical (B, H, ...)) stored in fp8 {@code type}: the
     * largest magnitude of the tensor, or of each head, maps to half the format's largest value, so nothing
     * saturates and the values use the format's range. An all-zero tensor or head gets 1.
     */
    public static Descale quantising(Tensor values, ElementType type, boolean perHead) {
        require(type.isFp8(), "only fp8 tensors carry a descale; this one is %s", type);
        double[] all = values.toDoubleArray();
        int heads = values.dim(1), perHeadRow = (int) (values.size() / values.dim(0) / heads);
        double[] amax = new double[perHead ? heads : 1];
        for (int i = 0; i < all.length; i++) {
            int h = perHead ? (i / perHeadRow) % heads : 0;
            amax[h] = Math.max(amax[h], Math.abs(all[i]));
        }
        float[] factors = new float[amax.length];
        for (int h = 0; h < amax.length; h++) {
            factors[h] = amax[h] == 0 ? 1f : (float) (2 * amax[h] / type.maxFinite());
        }
        return new Descale(factors, 1, amax.length);
    }

    public float factor(int b, int h) {
        return factors[(batches == 1 ? 0 : b) * heads + (heads == 1 ? 0 : h)];
    }

    public boolean perTensor() {
        return batches == 1 && heads == 1;
    }

    @Override
    public float[] factors() {
        return factors.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Descale d && d.batches == batches && d.heads == heads && Arrays.equals(d.factors, factors);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(factors) * 31 + batches * 7 + heads;
    }

    @Override
    public String toString() {
        return perTensor() ? "descale " + factors[0] : "descale " + batches + "x" + heads + Arrays.toString(factors);
    }
}
