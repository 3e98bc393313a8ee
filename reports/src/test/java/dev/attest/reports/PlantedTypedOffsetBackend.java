package dev.attest.reports;

import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Tensor;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Capabilities;

/**
 * A planted bug in every element type: cpu-naive (which takes fp16, bf16 and fp8 KV caches) with 0.25 added to the
 * first output element, rounded into the output's type.
 */
public final class PlantedTypedOffsetBackend implements AttentionBackend {
    private final CpuNaiveBackend naive = new CpuNaiveBackend();

    @Override
    public String name() {
        return "planted-typed-offset";
    }

    @Override
    public Capabilities capabilities() {
        return naive.capabilities();
    }

    @Override
    public void attention(AttentionProblem problem, Tensor out) {
        naive.attention(problem, out);
        out.set(out.get(0, 0, 0, 0) + 0.25f, 0, 0, 0, 0);
    }
}
