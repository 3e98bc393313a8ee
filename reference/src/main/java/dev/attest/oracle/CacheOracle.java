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

    /** The oracle's outputs for every token of the sequences: (B, Hq, T, Dv). */
    public static OracleResult attention(CacheSpec cache, Tensor query, Tensor key, Tensor value) {
        return Oracle.attention(fullPass(cache, query, key, value));
    }

    /** The oracle's layer outputs for every token: (B, T, dOut). */
    public static OracleResult layer(CacheSpec cache, LayerWeights weights, Tensor input) {
        return Oracle.layer(fullPass(cache, weights, input));
    }
}
