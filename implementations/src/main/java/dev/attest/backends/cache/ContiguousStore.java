package dev.attest.backends.cache;

import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;

/** One slot-major array per sequence, (slot, Hkv, D), doubled whenever it fills (never a copy per token). */
final class ContiguousStore extends KvStore {
    private final Tensor[] keys, values;
    private final int[] slots;
    private final int capacity;

    ContiguousStore(CacheSpec spec, int initialSlots) {
        super(spec);
        int batch = spec.attention().batch();
        capacity = spec.capacity();
        keys = new Tensor[batch];
        values = new Tensor[batch];
        slots = new int[batch];
        for (int b = 0; b < batch; b++) {
            keys[b] = allocate(initialSlots * kvHeads * qkDim);
            values[b] = allocate(initialSlots * kvHeads * vDim);
            slots[b] = initialSlots;
        }
    }

    @Override
    Tensor keys(int b) {
        return keys[b];
    }

    @Override
    Tensor values(int b) {
        return values[b];
    }

    @Override
    int keyOffset(int b, int slot, int g) {
        return (slot * kvHeads + g) * qkDim;
    }

    @Override
    int valueOffset(int b, int slot, int g) {
        return (slot * kvHeads + g) * vDim;
    }

    @Override
    int run(int b, int slot, int most) {
        return most;
    }

    @Override
    void reserve(int b, int needed) {
        if (needed <= slots[b]) return;
        int grown = slots[b];
        while (grown < needed) grown = (int) Math.min(capacity, 2L * grown);
        keys[b] = grown(keys[b], grown * kvHeads * qkDim);
        values[b] = grown(values[b], grown * kvHeads * vDim);
        slots[b] = grown;
    }

    @Override
    void release(int b, int slots) {
    }
}
