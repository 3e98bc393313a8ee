package dev.attest.spi;

import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.Chunk;

/**
 * An open KV cache (a decoding session) of one backend, for one {@link CacheSpec} (DESIGN.md "KV cache"). It holds,
 * per sequence of the batch, the keys and values of every token appended so far (or, with a ring buffer, of the
 * last {@code capacity} tokens), and nothing else. It is opened empty ({@link AttentionBackend#openCache(CacheSpec)})
 * or holding past K/V ({@link AttentionBackend#openCache(CacheSpec, dev.attest.reference.cache.Past)}, ONNX
 * {@code past_key}/{@code past_value}); a chunk may bring as many queries as new keys (prefill, decode), or a
 * different number (features {@code KV_CACHE_UNEVEN_CHUNKS}; none for a query-only chunk reading a memory), and a
 * mask over absolute key positions ({@code KV_CACHE_MASK}); what each query sees is {@link Chunk}'s rule.
 *
 * <p>Every call is all-or-nothing: a call that is refused (an {@link dev.attest.reference.InvalidProblemException}
 * naming the dimension and both values, or {@link CacheFullException}) leaves the cache exactly as it was: the same
 * {@link #lengths()} and bit-identical {@link #presentKey()}/{@link #presentValue()}. The kit
 * ({@code required_S9_bad_input_is_refused_and_leaves_the_cache_unchanged},
 * {@code required_S9_appending_to_a_full_cache_without_eviction_is_a_clear_error}) refuses each of these, and checks
 * that the message contains the word given:
 * {@link CacheChecks} makes the append and rollback checks below for an implementation.
 * <table>
 *   <caption>Refusals the suite checks</caption>
 *   <tr><th>call</th><th>exception</th><th>the message names</th></tr>
 *   <tr><td>append beyond the capacity without eviction</td><td>{@link CacheFullException}</td><td>{@code capacity}</td></tr>
 *   <tr><td>a chunk whose head dim differs</td><td>InvalidProblemException</td><td>{@code Dqk}</td></tr>
 *   <tr><td>a chunk of another batch size</td><td>InvalidProblemException</td><td>{@code B}</td></tr>
 *   <tr><td>a chunk or output in another element type</td><td>InvalidProblemException</td><td>the type given, e.g. {@code bf16}</td></tr>
 *   <tr><td>a layer chunk for a core cache (or the reverse)</td><td>InvalidProblemException</td><td>{@code layer}</td></tr>
 *   <tr><td>an output of the wrong shape</td><td>InvalidProblemException</td><td>{@code shape}</td></tr>
 *   <tr><td>a rollback below 0 or beyond a sequence's length</td><td>InvalidProblemException</td><td>{@code roll}</td></tr>
 *   <tr><td>rollback lengths for another batch size</td><td>InvalidProblemException</td><td>{@code batch}</td></tr>
 *   <tr><td>a ring rollback to keys already evicted</td><td>InvalidProblemException</td><td>{@code evicted}</td></tr>
 *   <tr><td>a chunk whose key count differs from its query count, for a ring</td><td>InvalidProblemException</td><td>{@code ring}</td></tr>
 *   <tr><td>a chunk mask that does not broadcast to (B, Hq, nq, S)</td><td>InvalidProblemException</td><td>{@code mask}</td></tr>
 *   <tr><td>past K/V of another head count, head dim or type</td><td>InvalidProblemException</td><td>the axis, e.g. {@code Hkv}</td></tr>
 * </table>
 *
 * <p>Present K/V: sequence b holds positions {@code [oldest_b, lengths()[b])}: from 0 without eviction, the last
 * {@code capacity} with a ring. A rollback keeps {@code oldest_b} (evicted keys do not come back), so after a ring
 * rollback to L the present rows are {@code [oldest_b, L)}. A tensor has no empty axis, so an empty cache, or one
 * whose every sequence holds nothing, presents one all-zero row: (B, Hkv, 1, D).
 */
public interface KvCache {

    CacheSpec spec();

    /**
     * Appends a chunk: the new keys of sequence b take absolute positions {@code lengths()[b] ...}, its queries sit
     * at the same positions on; writes the queries' outputs into {@code out}, shape {@link Chunk#outputShape} —
     * (B, Hq, nq, Dv) for core attention, (B, n, dOut) for the layer — with padding rows zero, and rows of a query
     * that sees no key zero.
     */
    void append(Chunk chunk, Tensor out);

    /** Keys held per sequence (with a ring: appended so far): the absolute position the next key takes. */
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
