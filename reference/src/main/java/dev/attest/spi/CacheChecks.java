package dev.attest.spi;

import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.Chunk;
import dev.attest.reference.cache.Eviction;

import java.util.Arrays;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * The checks every {@link KvCache} owes its caller before it changes anything, with the words the kit's refusal
 * checks look for (the {@link KvCache} javadoc's table): an append's chunk, output and capacity, a rollback's
 * lengths. Conditions are tested before a message is built, so a call that passes allocates nothing.
 */
public final class CacheChecks {
    private CacheChecks() {
    }

    /**
     * Refuses appending {@code chunk} into {@code out} to a cache of {@code spec} whose sequences hold {@code held}
     * keys: a chunk that does not match the spec, an output of another type or shape, or (without eviction) new keys
     * past the capacity ({@link CacheFullException}).
     */
    public static void requireAppend(CacheSpec spec, Chunk chunk, Tensor out, int[] held) {
        if (chunk == null || out == null) require(false, "append needs a chunk and an output tensor");
        chunk.requireMatches(spec);
        if (out.type() != spec.types().activations()) {
            require(false, "output is %s but the cache writes %s outputs (%s)", out.type(), spec.types().activations(),
                    spec.types());
        }
        if (!outputMatches(spec, chunk, out)) {
            require(false, "output has shape %s but appending %s needs %s", Arrays.toString(out.shape()), chunk,
                    Arrays.toString(chunk.outputShape(spec)));
        }
        if (spec.eviction() == Eviction.NONE) {
            int[] added = chunk.keyLengths();
            for (int b = 0; b < held.length; b++) {
                if (held[b] + added[b] > spec.capacity()) {
                    throw new CacheFullException(b, held[b], added[b], spec.capacity());
                }
            }
        }
    }

    /** {@code out} has {@link Chunk#outputShape}, compared without building it. */
    private static boolean outputMatches(CacheSpec spec, Chunk chunk, Tensor out) {
        AttentionSpec a = spec.attention();
        int width = chunk.width();
        if (spec.isLayer()) {
            return out.rank() == 3 && out.dim(0) == a.batch() && out.dim(1) == width
                    && out.dim(2) == spec.layer().outputDim();
        }
        return out.rank() == 4 && out.dim(0) == a.batch() && out.dim(1) == a.qHeads() && out.dim(2) == width
                && out.dim(3) == a.vHeadDim();
    }

    /** Refuses {@code lengths} unless it has one entry per sequence and each lies in {@code [0, held[b]]}. */
    public static void requireRollback(int[] lengths, int[] held) {
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
