package dev.attest.reference.cache;

/** What a cache does when it is full. */
public enum Eviction {
    /** Nothing is evicted: appending past the capacity is refused with a clear error. */
    NONE,
    /**
     * A fixed-capacity ring buffer for a sliding window: the oldest token is overwritten, which is safe because a
     * window of left extent {@code w - 1} never reads a key older than {@code capacity >= w} tokens.
     */
    SLIDING_WINDOW
}
