package dev.attest.backends.cache;

import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;

import java.util.Arrays;

/**
 * vLLM's layout: one pool of blocks shared by the batch, each block {@code blockSize} slots of (Hkv, D) rows in
 * FlashAttention's (slot, head, dim) order, and per sequence a block table naming the pool block of each logical
 * block. A sequence takes a block when it grows into one, and a rollback gives back the blocks it no longer reaches;
 * freed blocks are taken again last-freed first, so after rollbacks a sequence's blocks lie in any order in the pool.
 * The pool grows by doubling (a copy of the pool, never per token).
 */
final class PagedStore extends KvStore {
    private final int blockSize;
    private Tensor keyPool, valuePool;
    private int poolBlocks, fresh;
    private int[] free = new int[4];
    private int freeCount;
    private final int[][] table;
    private final int[] owned;

    PagedStore(CacheSpec spec) {
        super(spec);
        blockSize = spec.blockSize();
        int batch = spec.attention().batch();
        poolBlocks = Math.max(1, batch);
        keyPool = allocate(poolBlocks * blockSize * kvHeads * qkDim);
        valuePool = allocate(poolBlocks * blockSize * kvHeads * vDim);
        table = new int[batch][4];
        owned = new int[batch];
    }

    @Override
    Tensor keys(int b) {
        return keyPool;
    }

    @Override
    Tensor values(int b) {
        return valuePool;
    }

    @Override
    int keyOffset(int b, int slot, int g) {
        return ((table[b][slot / blockSize] * blockSize + slot % blockSize) * kvHeads + g) * qkDim;
    }

    @Override
    int valueOffset(int b, int slot, int g) {
        return ((table[b][slot / blockSize] * blockSize + slot % blockSize) * kvHeads + g) * vDim;
    }

    @Override
    int run(int b, int slot, int most) {
        return Math.min(most, blockSize - slot % blockSize);
    }

    @Override
    void reserve(int b, int slots) {
        int blocks = (slots + blockSize - 1) / blockSize;
        while (owned[b] < blocks) {
            if (owned[b] == table[b].length) table[b] = Arrays.copyOf(table[b], 2 * table[b].length);
            table[b][owned[b]++] = take();
        }
    }

    @Override
    void release(int b, int slots) {
        int blocks = (slots + blockSize - 1) / blockSize;
        while (owned[b] > blocks) {
            if (freeCount == free.length) free = Arrays.copyOf(free, 2 * free.length);
            free[freeCount++] = table[b][--owned[b]];
        }
    }

    /** A free block: the last one given back, else a fresh one (the pool doubled when it has none). */
    private int take() {
        if (freeCount > 0) return free[--freeCount];
        if (fresh == poolBlocks) {
            long grown = 2L * poolBlocks;
            if (grown * blockSize * kvHeads * Math.max(qkDim, vDim) > Integer.MAX_VALUE) {
                throw new IllegalStateException("a paged cache pool of " + grown + " blocks of " + blockSize
                        + " slots exceeds one Java array");
            }
            poolBlocks = (int) grown;
            keyPool = grown(keyPool, poolBlocks * blockSize * kvHeads * qkDim);
            valuePool = grown(valuePool, poolBlocks * blockSize * kvHeads * vDim);
        }
        return fresh++;
    }
}
