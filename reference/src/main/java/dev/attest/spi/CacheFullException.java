package dev.attest.spi;

import dev.attest.reference.InvalidProblemException;

/**
 * An append would take a sequence past the capacity of a cache that does not evict. Thrown before anything
 * changes: the cache keeps its contents (never silently overwritten).
 */
public class CacheFullException extends InvalidProblemException {
    private static final long serialVersionUID = 1L;

    public CacheFullException(int sequence, int length, int appended, int capacity) {
        super(String.format(java.util.Locale.ROOT, "cache full: sequence %d holds %d tokens, appending %d would "
                + "exceed the capacity %d (eviction NONE; use SLIDING_WINDOW or a larger capacity)", sequence,
                length, appended, capacity));
    }
}
