package dev.attest.oracle;

import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.CacheSpec;

import static dev.attest.reference.InvalidProblemException.require;

/**
 * What a KV cache must compute, by full recomputation (DESIGN.md "KV cache"): the outputs of appending chunks to a
 * cache are the rows of one causal pass over the whole sequence, with the cache's window. No new numerics: the
 * full pass is an ordinary {@link AttentionProblem} or {@link LayerProblem}, judged by the ordinary {@link Oracle}
 * (and its naive modes give the tolerance baseline).
 *
 * <pre>
 *   tokens 0..T-1 of one sequence, appended in any chunks   ==   full pass: Sq = Skv = T, causal TOP_LEFT
 *   output of the token at position p                        ==   row p of the full pass
 *   a ring buffer with window (w-1, 0)                       ==   the same full pass with that window
 *
 *   any chunk (queries and keys differing in number, a mask, a non-causal cache, a cache opened from past K/V):
 *   the nq queries of sequence b  ==  one problem: Q (1, Hq, nq, Dqk) over the P + nk keys held after the chunk,
 *                                     causal offset P (when causal), the window at offset P, the chunk's mask
 * </pre>
 */
public final class CacheOracle {
    private CacheOracle() {
    }

    /** The spec of one causal pass over {@code length} tokens of each of {@code batch} sequences. */
    public static AttentionSpec fullPassSpec(CacheSpec cache, int batch, int length) {
        AttentionSpec a = cache.attention();
        AttentionSpec.Builder builder = a.toBuilder().batch(batch).lengths(length, length).causal(Alignment.TOP_LEFT);
        if (a.window() != null) builder.window(a.window(), Alignment.TOP_LEFT);
        return builder.build();
    }

    /** The full pass over whole sequences Q (B, Hq, T, Dqk), K, V (B, Hkv, T, D) of a core cache. */
    public static AttentionProblem fullPass(CacheSpec cache, Tensor query, Tensor key, Tensor value) {
        require(!cache.isLayer(), "a layer cache's full pass needs its weights and input X");
        return new AttentionProblem(fullPassSpec(cache, query.dim(0), query.dim(2)), query, key, value);
    }

    /** The full pass of a layer cache over whole input sequences X (B, T, dModel), rotary from position 0. */
    public static LayerProblem fullPass(CacheSpec cache, LayerWeights weights, Tensor input) {
        require(cache.isLayer(), "a core cache's full pass needs Q, K and V");
        LayerSpec l = cache.layer();
        LayerSpec full = new LayerSpec(fullPassSpec(cache, input.dim(0), input.dim(1)), l.modelDim(), 0,
                l.outputDim(), l.biases(), l.rotary(), l.loraRank());
        return new LayerProblem(full, weights, input, null, null, null, 0, 0);
    }

    /**
     * What the queries of one sequence in one appended chunk must compute: {@code query} (1, Hq, nq, Dqk) at
     * positions {@code past .. past + nq - 1} over the {@code key}, {@code value} rows (1, Hkv, held, D) the
     * sequence holds after the chunk (positions {@code 0 .. held - 1}), with the chunk's mask for this sequence
     * ({@link dev.attest.reference.cache.Chunk#sequenceMask}; may be null).
     */
    public static AttentionProblem chunkProblem(CacheSpec cache, Tensor query, Tensor key, Tensor value, int past,
                                                dev.attest.reference.Mask mask) {
        require(!cache.isLayer(), "a layer cache's chunks are judged by its full pass");
        AttentionSpec a = cache.attention();
        Alignment at = Alignment.offset(past);
        AttentionSpec spec = a.toBuilder().batch(1).lengths(query.dim(2), key.dim(2))
                .masking(a.causal(), a.causal() || a.window() != null ? at : null, a.window()).build();
        return new AttentionProblem(spec, query, key, value, mask, null);
    }

    /** The oracle's outputs for every token of the sequences: (B, Hq, T, Dv). */
    public static OracleResult attention(CacheSpec cache, Tensor query, Tensor key, Tensor value) {
        return Oracle.attention(fullPass(cache, query, key, value));
    }

    /** The oracle's layer outputs for every token: (B, T, dOut). */
    public static OracleResult layer(CacheSpec cache, LayerWeights weights, Tensor input) {
        return Oracle.layer(fullPass(cache, weights, input));
    }
}
