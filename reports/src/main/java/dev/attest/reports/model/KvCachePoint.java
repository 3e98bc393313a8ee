package dev.attest.reports.model;

/**
 * KV-cache decode against full recomputation at one cached length L, for one backend: the median time of one decode
 * step with the cache (append the (L+1)-th token, O(L·d)) and of producing the same last-token output without a cache
 * (causal attention over all L+1 tokens, O(L²·d)), both in milliseconds.
 */
public record KvCachePoint(String backend, int length, double decodeMillis, double recomputeMillis) {
    /** How many times cheaper the cached step is. */
    public double ratio() {
        return recomputeMillis / decodeMillis;
    }
}
