package dev.attest.spi;

import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.Chunk;

/**
 * An open KV cache (a decoding session) of one backend, for one {@link CacheSpec} (DESIGN.md "KV cache"). It holds,
 * per sequence of the batch, the keys and values of every token appended so far (or, with a ring buffer, of the
 * last {@code capacity} tokens), and nothing else.
 *
 * <p>Every call is all-or-nothing: a call that is refused (an {@link dev.attest.reference.InvalidProblemException}
 * naming the dimension and both values, or {@link CacheFullException}) leaves the cache exactly as it was.
 */
public interface KvCache {

    CacheSpec spec();

    /**
     * Appends a chunk: the tokens of sequence b take absolute positions {@code lengths()[b] ...}; writes their
     * outputs into {@code out}, shape {@link Chunk#outputShape} — (B, Hq, n, Dv) for core attention, (B, n, dOut)
     * for the layer — with padding rows zero.
     */
    void append(Chunk chunk, Tensor out);

    /** Tokens seen so far per sequence: the absolute position the next token of each sequence takes. */
    int[] lengths();

    /**
     * Rolls sequence b back to {@code lengths[b]} tokens (speculative decoding: rejected draft tokens are dropped),
     * as if the later tokens had never been appended. Each length must lie in {@code [0, lengths()[b]]}; a ring
     * buffer also refuses a length whose window reaches keys it has already evicted.
     */
    void truncate(int[] lengths);

    /**
     * ONNX {@code present_key}: the cached keys, (B, Hkv, S, Dqk) with {@code S = max} over sequences of the tokens
     * held; sequence b's keys in position order in rows {@code [0, held_b)}, zeros after. Without eviction that is
     * {@code concat(past_key, key)}; a ring holds the last {@code min(length, capacity)} tokens. A fresh copy.
     */
    Tensor presentKey();

    /** ONNX {@code present_value}, laid out as {@link #presentKey()} with Dv. */
    Tensor presentValue();
}
