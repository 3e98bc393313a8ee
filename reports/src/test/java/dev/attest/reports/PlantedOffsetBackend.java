package dev.attest.reports;

import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.Tensor;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Capabilities;

/** A planted bug for the CLI's tests: cpu-naive with 0.5 added to the first output element. */
public final class PlantedOffsetBackend implements AttentionBackend {
    private final CpuNaiveBackend naive = new CpuNaiveBackend();

    @Override
    public String name() {
        return "planted-offset";
    }

    @Override
    public Capabilities capabilities() {
        return CpuNaiveBackend.FP32_CAPABILITIES;     // it writes into out.data(), an fp32 array
    }

    @Override
    public void attention(AttentionProblem problem, Tensor out) {
        naive.attention(problem, out);
        out.data()[out.offset()] += 0.5f;
    }

    @Override
    public void layer(LayerProblem problem, Tensor out) {
        naive.layer(problem, out);
    }
}
