package dev.attest.spi;

import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.Chunk;

/**
 * A cache that hands every call to another: the base of wrappers that add one thing around a cache (a check before
 * an append, a record of what was appended) and override only that call.
 */
public abstract class ForwardingKvCache implements KvCache {
    protected final KvCache delegate;

    protected ForwardingKvCache(KvCache delegate) {
        this.delegate = delegate;
    }

    @Override
    public CacheSpec spec() {
        return delegate.spec();
    }

    @Override
    public void append(Chunk chunk, Tensor out) {
        delegate.append(chunk, out);
    }

    @Override
    public int[] lengths() {
        return delegate.lengths();
    }

    @Override
    public void truncate(int[] lengths) {
        delegate.truncate(lengths);
    }

    @Override
    public Tensor presentKey() {
        return delegate.presentKey();
    }

    @Override
    public Tensor presentValue() {
        return delegate.presentValue();
    }
}
