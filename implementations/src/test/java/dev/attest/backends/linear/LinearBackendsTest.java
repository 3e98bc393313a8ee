package dev.attest.backends.linear;

import java.util.List;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.linear.LinearSpec;
import dev.attest.linear.UpdateRule;
import dev.attest.reference.InvalidProblemException;
import dev.attest.reference.Tensor;
import dev.attest.spi.LinearAttentionBackend;
import dev.attest.spi.LinearBackends;
import dev.attest.spi.UnsupportedLinearFeatureException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Discovery, declared defaults and refusals of the built-in linear backends. */
class LinearBackendsTest {

    @Test
    void theFourLinearBackendsAreDiscoveredByName() {
        List<String> names = LinearBackends.discover().stream().map(LinearAttentionBackend::name).toList();
        assertEquals(List.of("linear-causal", "linear-chunked", "linear-parallel", "linear-recurrent"), names);
        for (LinearAttentionBackend b : LinearBackends.discover()) assertEquals(8, b.defaultFeatureMap(8).inputDim());
    }

    @Test
    void undeclaredRulesAreRefusedBeforeWriting() {
        LinearSpec spec = LinearSpec.of(1, 1, 1, 2, 2, 2, true, new FeatureMap.Identity(2), UpdateRule.DELTA, false);
        LinearProblem p = new LinearProblem(spec, Tensor.zeros(1, 1, 2, 2), Tensor.zeros(1, 1, 2, 2),
                Tensor.zeros(1, 1, 2, 2), null, Tensor.zeros(1, 1, 2), null);
        Tensor out = p.allocateOutput().fill(7f);
        assertThrows(UnsupportedLinearFeatureException.class, () -> new LinearChunkedBackend().forward(p, out));
        assertArrayEquals(Tensor.zeros(1, 1, 2, 2).fill(7f).toArray(), out.toArray());
    }

    @Test
    void aChunkSizeBelowOneIsRefused() {
        assertThrows(InvalidProblemException.class, () -> new LinearChunkedBackend(0));
    }
}
