package dev.attest.spi;

import dev.attest.reference.Tensor;
import dev.attest.reference.cache.Chunk;

import java.util.EnumSet;
import java.util.Set;

/**
 * A cache of a {@link CheckedBackend} that lacks some chunk feature ({@link Feature#requiredBy(Chunk)}): a chunk
 * that needs one is refused with {@link UnsupportedFeatureException} before the cache sees it, so a cache written
 * for one key per query is never handed an uneven or masked chunk it would misread.
 */
final class ChunkCheckedCache extends ForwardingKvCache {
    private static final Set<Feature> CHUNK_FEATURES = EnumSet.of(Feature.KV_CACHE_UNEVEN_CHUNKS,
            Feature.KV_CACHE_MASK, Feature.BOOLEAN_MASK, Feature.ADDITIVE_MASK);

    private final String backend;
    private final Capabilities capabilities;

    private ChunkCheckedCache(String backend, Capabilities capabilities, KvCache cache) {
        super(cache);
        this.backend = backend;
        this.capabilities = capabilities;
    }

    /** {@code cache} itself when the backend declares every chunk feature (no wrapper on the decode path). */
    static KvCache of(String backend, Capabilities capabilities, KvCache cache) {
        return capabilities.features().containsAll(CHUNK_FEATURES) ? cache
                : new ChunkCheckedCache(backend, capabilities, cache);
    }

    @Override
    public void append(Chunk chunk, Tensor out) {
        if (chunk != null && (chunk.uneven() || chunk.mask() != null)) {
            capabilities.requireAll(backend, Feature.requiredBy(chunk));
        }
        delegate.append(chunk, out);
    }
}
