package dev.attest.reports;

import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Layout;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;
import dev.attest.reference.cache.Chunk;
import dev.attest.reference.cache.Eviction;
import dev.attest.reports.model.KvCachePoint;
import dev.attest.reports.timing.AlternatingCalls;
import dev.attest.reports.timing.Sampler;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.KvCache;

import java.util.SplittableRandom;

/**
 * KV-cache decode against recomputation at one cached length, driven through the SPI as
 * {@code benchmarks/DecodeBenchmark} does: prefill L tokens into {@link AttentionBackend#openCache}, then one decode
 * step appends the (L+1)-th token and {@link KvCache#truncate}s back to L (O(1)), so the cache never grows while it is
 * timed; recomputation produces the same token's output with causal attention over all L+1 tokens. Both are timed
 * with {@link Sampler} (adaptive warm-up, median per call with its interval), alternating between two next tokens and
 * checked bit for bit against untimed calls ({@link AlternatingCalls}). Shape: B = 1, Hq = Hkv = 4, D = 64 (H = 2, D = 8 for the tiny profile).
 */
public final class KvDecode {
    private KvDecode() {
    }

    /** A point, or why there is none: the timed calls did not write what the untimed ones did. */
    public record Outcome(KvCachePoint point, String integrityFailure) {
    }

    public static Outcome measure(AttentionBackend backend, int length, int heads, int dim, Sampler sampler) {
        SplittableRandom random = new SplittableRandom(length);
        int total = length + 1;
        Tensor q = random(random, heads, total, dim), k = random(random, heads, total, dim),
                v = random(random, heads, total, dim);
        // input B: the same cache, another next token
        Tensor q2 = withNewLastToken(q, random), k2 = withNewLastToken(k, random), v2 = withNewLastToken(v, random);
        AttentionSpec step = AttentionSpec.builder().heads(heads, heads).headDim(dim).causal(Alignment.TOP_LEFT).build();
        KvCache cache = backend.openCache(CacheSpec.core(step, total, Eviction.NONE));
        cache.append(Chunk.core(rows(q, 0, length), rows(k, 0, length), rows(v, 0, length)),
                Tensor.zeros(1, heads, length, dim));
        Chunk nextA = Chunk.core(rows(q, length, 1), rows(k, length, 1), rows(v, length, 1));
        Chunk nextB = Chunk.core(rows(q2, length, 1), rows(k2, length, 1), rows(v2, length, 1));
        Tensor nextOut = Tensor.zeros(1, heads, 1, dim);
        int[] rollback = {length};
        AttentionSpec fullSpec = step.toBuilder().lengths(total, total).build();
        AttentionProblem fullA = new AttentionProblem(fullSpec, q, k, v), fullB = new AttentionProblem(fullSpec, q2, k2, v2);
        Tensor fullOut = fullA.allocateOutput(Layout.BHSD);

        Sampler.Result decode = sampler.measure(new AlternatingCalls(nextOut, () -> {
            cache.append(nextA, nextOut);
            cache.truncate(rollback);
        }, () -> {
            cache.append(nextB, nextOut);
            cache.truncate(rollback);
        }));
        Sampler.Result recompute = sampler.measure(new AlternatingCalls(fullOut,
                () -> backend.attention(fullA, fullOut), () -> backend.attention(fullB, fullOut)));
        String failure = decode.integrityFailure() != null ? "decode step, " + decode.integrityFailure()
                : recompute.integrityFailure() != null ? "recomputation, " + recompute.integrityFailure() : null;
        if (failure != null) return new Outcome(null, failure);
        return new Outcome(new KvCachePoint(backend.name(), length, decode.perCall().median(),
                recompute.perCall().median(), decode.perCall(), recompute.perCall()), null);
    }

    /** A copy of a (1, H, S, D) tensor whose last row is redrawn. */
    private static Tensor withNewLastToken(Tensor t, SplittableRandom random) {
        Tensor copy = t.copy();
        int heads = t.dim(1), last = t.dim(2) - 1, dim = t.dim(3);
        for (int h = 0; h < heads; h++)
            for (int d = 0; d < dim; d++) copy.data()[copy.index(0, h, last, d)] = (float) (random.nextDouble() * 2 - 1);
        return copy;
    }

    private static Tensor random(SplittableRandom random, int heads, int length, int dim) {
        Tensor t = Tensor.zeros(1, heads, length, dim);
        float[] data = t.data();
        for (int i = 0; i < data.length; i++) data[i] = (float) (random.nextDouble() * 2 - 1);
        return t;
    }

    /** Rows [from, from + count) of a (1, H, S, D) tensor, as a dense copy. */
    private static Tensor rows(Tensor t, int from, int count) {
        int heads = t.dim(1), dim = t.dim(3);
        Tensor out = Tensor.zeros(1, heads, count, dim);
        for (int h = 0; h < heads; h++)
            for (int s = 0; s < count; s++)
                System.arraycopy(t.data(), t.index(0, h, from + s, 0), out.data(), out.index(0, h, s, 0), dim);
        return out;
    }
}
