package dev.attest.reports;

import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Layout;
import dev.attest.reference.Tensor;
import dev.attest.reports.model.ConfigInfo;

import java.util.SplittableRandom;

/** Builds the core attention problem of a configuration: standard normal Q, K, V from a fixed seed. */
public final class Workloads {
    private Workloads() {
    }

    public static AttentionProblem problem(ConfigInfo c, long seed) {
        AttentionSpec.Builder spec = AttentionSpec.builder().batch(c.batch()).heads(c.qHeads(), c.kvHeads())
                .lengths(c.qLength(), c.kvLength()).headDim(c.headDim());
        if (c.causal()) spec.causal(Alignment.BOTTOM_RIGHT);
        SplittableRandom random = new SplittableRandom(seed ^ c.name().hashCode());
        Tensor q = fill(Layout.BHSD.allocate(c.batch(), c.qHeads(), c.qLength(), c.headDim()), random);
        Tensor k = fill(Layout.BHSD.allocate(c.batch(), c.kvHeads(), c.kvLength(), c.headDim()), random);
        Tensor v = fill(Layout.BHSD.allocate(c.batch(), c.kvHeads(), c.kvLength(), c.headDim()), random);
        return new AttentionProblem(spec.build(), q, k, v);
    }

    private static Tensor fill(Tensor t, SplittableRandom random) {
        float[] data = t.data();
        for (int i = 0; i < data.length; i++) {
            // Box-Muller: SplittableRandom has no nextGaussian before Java 17's RandomGenerator default; use it.
            data[i] = (float) random.nextGaussian();
        }
        return t;
    }
}
