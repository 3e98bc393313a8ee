package dev.attest.backends.cache;

import dev.attest.reference.Descale;
import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;

import java.util.Arrays;

/**
 * Where a {@link CpuKvCache} keeps its keys and values: per sequence, slots {@code 0, 1, ...} of
 * {@code (Hkv, D)} rows, addressed as flat element offsets into a tensor of the storage type. Contiguous (one
 * growing array per sequence) or paged (blocks of a shared pool through a block table per sequence); the cache
 * maps positions to slots (a ring reuses them) and never sees which.
 */
abstract sealed class KvStore permits ContiguousStore, PagedStore {
    final int kvHeads, qkDim, vDim;
    final ElementType type;

    KvStore(CacheSpec spec) {
        kvHeads = spec.attention().kvHeads();
        qkDim = spec.attention().qkHeadDim();
        vDim = spec.attention().vHeadDim();
        type = spec.types().storage();
    }

    /** The store a cache of {@code spec} uses: paged when the spec has a block size. */
    static KvStore of(CacheSpec spec, int initialSlots) {
        return spec.isPaged() ? new PagedStore(spec) : new ContiguousStore(spec, initialSlots);
    }

    /** The tensor holding sequence b's keys (every sequence's, when paged). */
    abstract Tensor keys(int b);

    abstract Tensor values(int b);

    /** Element offset of kv head g of slot {@code slot} of sequence b's keys. */
    abstract int keyOffset(int b, int slot, int g);

    abstract int valueOffset(int b, int slot, int g);

    /** How many slots from {@code slot} (at most {@code most}) lie one after another in storage. */
    abstract int run(int b, int slot, int most);

    /** Makes slots {@code [0, slots)} of sequence b exist (amortised growth; contents kept). */
    abstract void reserve(int b, int slots);

    /** Sequence b needs only slots {@code [0, slots)} now: a paged store gives the blocks after them back. */
    abstract void release(int b, int slots);

    Tensor allocate(int elements) {
        return type.isFp8() ? Tensor.zeros(type, Descale.ONE, elements) : Tensor.zeros(type, elements);
    }

    /** The same storage grown to {@code elements}, contents kept. */
    static Tensor grown(Tensor store, int elements) {
        return switch (store.type()) {
            case FP32 -> Tensor.of(Arrays.copyOf(store.data(), elements), elements);
            case FP16, BF16 -> Tensor.ofBits(Arrays.copyOf(store.bits16(), elements), store.type(), elements);
            case FP8_E4M3, FP8_E5M2 -> Tensor.ofBits(Arrays.copyOf(store.bits8(), elements), store.type(),
                    Descale.ONE, elements);
        };
    }
}
