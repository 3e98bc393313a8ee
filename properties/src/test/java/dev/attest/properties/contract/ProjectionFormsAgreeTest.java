package dev.attest.properties.contract;

import dev.attest.backends.batched.CpuBatchedBackend;
import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.properties.cases.AttentionCases;
import dev.attest.properties.cases.LayerCases;
import dev.attest.properties.engine.PropertyDescription;
import dev.attest.properties.engine.PropertyRunner;
import dev.attest.properties.judge.Expectation;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.spi.Capabilities;
import org.junit.jupiter.api.Test;

/**
 * The layer projected per head (cpu-naive: {@code X*W_Q^i} for each head i) and fused (cpu-batched: one
 * {@code X*[Wq|Wk|Wv]} GEMM, heads as strided views) agree with each other within the tolerance model's allowance,
 * on every layer feature: the two forms of DESIGN.md S6 are the same function.
 */
class ProjectionFormsAgreeTest {

    @Test
    void per_head_and_fused_projections_agree() {
        CpuNaiveBackend perHead = new CpuNaiveBackend();
        CpuBatchedBackend fused = new CpuBatchedBackend();
        LayerCases cases = LayerCases.over(AttentionCases.supportedBy(Capabilities.everything(Precision.FP32)));
        PropertyRunner.check(PropertyDescription.of("per_head_and_fused_projections_agree", Clause.S6.cite(),
                "cpu-naive vs cpu-batched"), cases, c -> {
            LayerProblem p = c.materialize();
            Tensor a = p.allocateOutput(), b = p.allocateOutput();
            perHead.layer(p, a);
            fused.layer(p, b);
            Expectation expectation = Expectation.layer(p, Precision.FP32, AttentionContract.LAYER_K);
            expectation.check(a);
            expectation.check(b);
            float[] x = a.toArray(), y = b.toArray();
            for (int i = 0; i < x.length; i++) {
                if (Math.abs(x[i] - y[i]) > expectation.allowance()) {
                    AttentionContract.fail("per-head and fused projections disagree", "element",
                            Expectation.index(p.outputShape(), i), "per-head", x[i], "fused", y[i], "allowance",
                            expectation.allowance());
                }
            }
        });
    }
}
