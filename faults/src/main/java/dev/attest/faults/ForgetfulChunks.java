package dev.attest.faults;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.linear.LinearState;
import dev.attest.reference.Tensor;
import dev.attest.spi.LinearAttentionBackend;
import dev.attest.spi.LinearCapabilities;

/** A chunked form that forgets the state at chunk boundaries: only chunk sizes >= S are right. */
public final class ForgetfulChunks implements LinearAttentionBackend {
    private final dev.attest.backends.linear.LinearRecurrentBackend inner =
            new dev.attest.backends.linear.LinearRecurrentBackend();
    private final int chunk;

    public ForgetfulChunks(int chunk) {
        this.chunk = chunk;
    }

    @Override public String name() { return "mutant-forgetful-chunks"; }
    @Override public LinearCapabilities capabilities() { return inner.capabilities(); }
    @Override public FeatureMap defaultFeatureMap(int kDim) { return inner.defaultFeatureMap(kDim); }

    @Override
    public java.util.Optional<LinearAttentionBackend> withChunkSize(int chunkSize) {
        return java.util.Optional.of(new ForgetfulChunks(chunkSize));
    }

    @Override
    public LinearState forward(LinearProblem p, Tensor out) {
        LinearState state = p.initialState();
        for (int from = 0; from < p.spec().length(); from += chunk) {
            int to = Math.min(p.spec().length(), from + chunk);
            LinearState next = inner.forward(p.slice(from, to, from == 0 ? state : p.initialState()),
                    LinearProblem.sliceAxis(out, 2, from, to));
            state = next;
        }
        return state;
    }
}
