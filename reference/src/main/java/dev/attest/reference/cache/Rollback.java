package dev.attest.reference.cache;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * The checks every {@code KvCache.truncate} owes its caller before it changes anything, with the words the kit's
 * refusal checks look for ({@code batch}, {@code roll}): one length per sequence, each in {@code [0, held]}.
 * Conditions are tested before a message is built, so a rollback that passes allocates nothing.
 */
public final class Rollback {
    private Rollback() {
    }

    /** Refuses {@code lengths} unless it has one entry per sequence and each lies in {@code [0, held[b]]}. */
    public static void requireWithin(int[] lengths, int[] held) {
        if (lengths == null) require(false, "truncate needs per-sequence lengths");
        if (lengths.length != held.length) {
            require(false, "truncate lengths have %d entries but batch B = %d", lengths.length, held.length);
        }
        for (int b = 0; b < held.length; b++) {
            if (lengths[b] < 0 || lengths[b] > held[b]) {
                require(false, "cannot roll sequence %d back to length %d: it holds %d tokens (rollback goes to "
                        + "[0, %d])", b, lengths[b], held[b], held[b]);
            }
        }
    }
}
