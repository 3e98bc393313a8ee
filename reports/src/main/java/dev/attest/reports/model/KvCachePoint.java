package dev.attest.reports.model;

/**
 * KV-cache decode against full recomputation at one cached length L, for one backend: the median time of one decode
 * step with the cache (append the (L+1)-th token, O(L·d)) and of producing the same last-token output without a cache
 * (causal attention over all L+1 tokens, O(L²·d)), both in milliseconds, each with its 95% interval and reliability
 * ({@code decode}, {@code recompute}; absent in older reports).
 */
public record KvCachePoint(String backend, int length, double decodeMillis, double recomputeMillis, Interval decode,
                           Interval recompute) {

    public KvCachePoint(String backend, int length, double decodeMillis, double recomputeMillis) {
        this(backend, length, decodeMillis, recomputeMillis, null, null);
    }

    /** How many times cheaper the cached step is. */
    public double ratio() {
        return recomputeMillis / decodeMillis;
    }

    /** Both figures have known, narrow enough intervals. */
    public boolean reliable() {
        return decode != null && decode.reliable() && recompute != null && recompute.reliable();
    }
}
