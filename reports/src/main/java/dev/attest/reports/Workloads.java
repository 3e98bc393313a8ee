package dev.attest.reports;

import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.Descale;
import dev.attest.reference.ElementType;
import dev.attest.reference.Layout;
import dev.attest.reference.Tensor;
import dev.attest.reports.model.ConfigInfo;
import dev.attest.spi.TensorTypes;

import java.util.SplittableRandom;

/**
 * Builds the core attention problem of a configuration: standard normal Q, K, V from a fixed seed, stored in the
 * configuration's element types (rounded to nearest-even; an fp8 tensor with the descale that maps its largest
 * magnitude to half the format's largest value, as the kit chooses it).
 */
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
        TensorTypes types = c.tensorTypes();
        return new AttentionProblem(spec.build(), stored(q, types.query()), stored(k, types.key()),
                stored(v, types.value()));
    }

    /** An output tensor for the configuration's problem, in its output type (BHSD). */
    public static Tensor output(ConfigInfo c, AttentionProblem problem) {
        ElementType type = c.tensorTypes().output();
        Tensor out = problem.allocateOutput(Layout.BHSD);
        return type == ElementType.FP32 ? out : out.to(type);
    }

    private static Tensor stored(Tensor t, ElementType type) {
        if (type == ElementType.FP32) return t;
        return type.isFp8() ? t.to(type, Descale.quantising(t, type, false)) : t.to(type);
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
