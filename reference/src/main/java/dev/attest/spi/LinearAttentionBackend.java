package dev.attest.spi;

import java.util.Optional;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.linear.LinearState;
import dev.attest.reference.Tensor;

/**
 * A linear-attention implementation under test. Discovered with {@link java.util.ServiceLoader} through
 * {@code META-INF/services/dev.attest.spi.LinearAttentionBackend} (public no-argument constructor), like
 * {@link AttentionBackend}, but judged by its own contract: linear attention computes a different function.
 *
 * <p>Contract of {@link #forward}: refuse undeclared features with {@link UnsupportedLinearFeatureException} and a
 * state of the wrong shape with {@link dev.attest.reference.InvalidProblemException}, both before writing; write
 * every element of {@code out}; never modify an input or the given state; return the state after the last token
 * (the cache for the next call); be deterministic. {@link CheckedLinearBackend} does the checks.
 */
public interface LinearAttentionBackend {

    /** Short stable name, e.g. {@code linear-recurrent}. */
    String name();

    default String description() {
        return name();
    }

    LinearCapabilities capabilities();

    /** The feature map this backend runs by default for head dimension {@code kDim} (reports, benchmarks). */
    FeatureMap defaultFeatureMap(int kDim);

    /**
     * Computes the problem's tokens, continuing from {@link LinearProblem#initialState()} (empty when null), writes
     * {@code out} (B, Hq, S, Dv), and returns the state after the last token.
     */
    LinearState forward(LinearProblem problem, Tensor out);

    /** One decoding step: {@link #forward} on a one-token problem carrying the state. */
    default LinearState step(LinearProblem oneToken, Tensor out) {
        dev.attest.reference.InvalidProblemException.require(oneToken.spec().length() == 1,
                "a decoding step takes one token, got S=%d", oneToken.spec().length());
        return forward(oneToken, out);
    }

    /**
     * The same backend with another chunk size, for backends with such a tuning knob (which must not change the
     * result); empty when there is no knob.
     */
    default Optional<LinearAttentionBackend> withChunkSize(int chunkSize) {
        return Optional.empty();
    }
}
