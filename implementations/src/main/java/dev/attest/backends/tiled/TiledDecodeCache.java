package dev.attest.backends.tiled;

import dev.attest.backends.cache.CpuKvCache;
import dev.attest.backends.kernels.DecodeKernels;
import dev.attest.backends.kernels.TileKernels;
import dev.attest.reference.ElementType;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;

import java.util.Arrays;

/**
 * cpu-tiled's decode step, over a cache stored in fp32, fp16, bf16 or fp8. A step is one query row per head against
 * every cached key: it reads the whole cache once and does two flops per element, so it is bound by memory
 * bandwidth, and the narrower the cache the faster it runs. Keys (then values) are widened block by block into an
 * L1-sized fp32 scratch, straight from the cache's own bits, and every head of a kv group reads the block from there.
 *
 * <pre>
 *   1. logits   s_hj = (q_h . k_j) * (k_descale_g * scale), softcapped, + the chunk mask's bias
 *                                                                          one pass over the keys, in blocks
 *   2. softmax  p_hj = exp(s_hj - max_h), l_h = sum_j p_hj                   (TileKernels.onlineSoftmax, one tile)
 *   3. output   o_h  = v_descale_g * (sum_j p_hj v_j) / l_h                  one pass over the values, in blocks
 * </pre>
 * The fp8 descales are constant per (sequence, kv head), so they scale the logit and the finished sum instead of
 * every element. Steady state allocates nothing: the logit buffer grows by doubling.
 */
final class TiledDecodeCache extends CpuKvCache {
    /**
     * Widened rows per block: 8192 floats (32 KB), within a Zen 5 core's 48 KB L1 beside the query and the output
     * (against 4096: an fp8 step over an in-cache cache took 0.48 instead of 0.62 ms; fewer, longer weighted sums).
     */
    private static final int BLOCK_FLOATS = 8192;

    private final int blockSlots;
    /** A bf16 cache of one query head per kv head is read straight from its bits (nothing to share a block with). */
    private final boolean fusedBf16;
    private final float[] keyBlock, valueBlock, m, alpha, l;
    /** Per kv head, the key descale times the softmax scale: looked up once a step, not once a logit. */
    private final float[] logitScale;
    private float[] p = new float[0];

    TiledDecodeCache(CacheSpec spec, LayerWeights weights) {
        super(spec, weights);
        blockSlots = Math.max(1, BLOCK_FLOATS / (kvHeads * Math.max(qkDim, vDim)));
        fusedBf16 = types.storage() == ElementType.BF16 && group == 1 && DecodeKernels.fusedBf16(qkDim, vDim);
        keyBlock = new float[blockSlots * kvHeads * qkDim];
        valueBlock = new float[blockSlots * kvHeads * vDim];
        m = new float[qHeads];
        alpha = new float[qHeads];
        l = new float[qHeads * TileKernels.SUM_LANES];
        logitScale = new float[kvHeads];
    }

    @Override
    protected void attendToken(int b, int pos, int first, int last, float[] bias, float[] q, float[] o) {
        int count = last - first + 1;
        int lds = (count + TileKernels.COL_BLOCK - 1) / TileKernels.COL_BLOCK * TileKernels.COL_BLOCK;
        if (p.length < qHeads * lds) p = new float[Math.max(qHeads * lds, 2 * p.length)];
        Tensor keys = keyStore(b), values = valueStore(b);
        int keyRow = kvHeads * qkDim, valueRow = kvHeads * vDim;
        for (int g = 0; g < kvHeads; g++) logitScale[g] = keyFactor(b, g) * scale;

        // 1. logits, one pass over the keys
        boolean inPlace = keys.type() == ElementType.FP32;   // fp32 rows are read where they are stored
        for (int j = first; j <= last; ) {
            int n = Math.min(blockSlots, contiguousSlots(b, j, last));
            float[] block = inPlace ? keys.data() : keyBlock;
            int base = inPlace ? keyOffset(b, j, 0) : 0;
            if (!inPlace && !fusedBf16) DecodeKernels.widen(keys, keyOffset(b, j, 0), n * keyRow, keyBlock, 0);
            for (int s = 0; s < n; s++) {
                for (int h = 0; h < qHeads; h++) {
                    int g = h / group;                       // query head h reads kv head h / (Hq / Hkv)
                    float dot = fusedBf16 ? DecodeKernels.dotBf16(q, h * qkDim, keys.bits16(), keyOffset(b, j + s, g), qkDim)
                            : DecodeKernels.dot(q, h * qkDim, block, base + s * keyRow + g * qkDim, qkDim);
                    float logit = dot * logitScale[g];
                    if (softcap != 0) logit = (float) (softcap * Math.tanh(logit / softcap));
                    p[h * lds + j + s - first] = bias == null ? logit : logit + bias[h * count + j + s - first];
                }
            }
            j += n;
        }

        // 2. max-subtracted exponentials and their sums, every head as one row of a tile
        Arrays.fill(m, Float.NEGATIVE_INFINITY);
        Arrays.fill(l, 0f);
        TileKernels.onlineSoftmax(p, lds, qHeads, count, lds, 1f, m, alpha, l);

        // 3. o_h = sum_j p_hj v_j, one pass over the values (a block's rows summed in registers), then the descale
        //    and the one division
        Arrays.fill(o, 0, qHeads * vDim, 0f);
        for (int j = first; j <= last; ) {
            int n = Math.min(blockSlots, contiguousSlots(b, j, last));
            float[] block = inPlace ? values.data() : valueBlock;
            int base = inPlace ? valueOffset(b, j, 0) : 0;
            if (fusedBf16) {
                for (int h = 0; h < qHeads; h++) {
                    DecodeKernels.weightedSumBf16(p, h * lds + j - first, values.bits16(), valueOffset(b, j, h / group),
                            valueRow, n, o, h * vDim, vDim);
                }
                j += n;
                continue;
            }
            if (!inPlace) DecodeKernels.widen(values, valueOffset(b, j, 0), n * valueRow, valueBlock, 0);
            for (int h = 0; h < qHeads; h++) {
                DecodeKernels.weightedSum(p, h * lds + j - first, block, base + h / group * vDim, valueRow, n, o,
                        h * vDim, vDim);
            }
            j += n;
        }
        for (int h = 0; h < qHeads; h++) {
            float descale = valueFactor(b, h / group);
            if (descale != 1f) TileKernels.scale(o, h * vDim, vDim, descale);
            TileKernels.divide(o, h * vDim, o, h * vDim, vDim, TileKernels.rowSum(l, h));
        }
    }
}
