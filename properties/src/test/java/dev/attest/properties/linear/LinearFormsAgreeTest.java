package dev.attest.properties.linear;

import java.util.List;

import dev.attest.backends.linear.LinearChunkedBackend;
import dev.attest.linear.LinearProblem;
import dev.attest.properties.engine.PropertyDescription;
import dev.attest.properties.engine.PropertyRunner;
import dev.attest.properties.judge.Expectation;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.spi.LinearAttentionBackend;
import dev.attest.spi.LinearBackends;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * L3 across backends: on the same problem, every built-in form that declares it (parallel, prefix-sum, chunked with
 * a random chunk size, recurrent) agrees with the one oracle within the tolerance model — so the forms agree with
 * each other within twice that.
 */
class LinearFormsAgreeTest {

    @Test
    void parallelPrefixSumChunkedAndRecurrentFormsAgree() {
        List<LinearAttentionBackend> all = LinearBackends.discover();
        assertTrue(all.size() >= 4, "expected the four built-in linear backends, found " + all);
        PropertyRunner.check(PropertyDescription.of("required_L3_every_form_agrees_with_the_one_oracle",
                        LinearClause.L3.cite(), "built-in linear backends"),
                LinearCases.supportedBy(new LinearChunkedBackend().capabilities()), c -> {
                    LinearProblem p = c.materialize();
                    Expectation e = LinearJudge.output(p, Precision.FP32);
                    int ran = 0;
                    for (LinearAttentionBackend b : all) {
                        if (!b.capabilities().missing(p).isEmpty()) continue;
                        LinearAttentionBackend form = b.withChunkSize(1 + (int) Math.floorMod(c.dataSeed(), 7))
                                .orElse(b);
                        Tensor out = p.allocateOutput().fill(Float.NaN);
                        form.forward(p, out);
                        try {
                            e.check(out);
                        } catch (AssertionError failure) {
                            throw new AssertionError("form " + form.description() + " disagrees\n"
                                    + failure.getMessage());
                        }
                        ran++;
                    }
                    if (ran < 2) throw new AssertionError("fewer than two forms ran " + p);
                });
    }
}
