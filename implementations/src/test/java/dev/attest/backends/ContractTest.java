package dev.attest.backends;

import dev.attest.backends.batched.CpuBatchedBackend;
import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerSpec;
import dev.attest.reference.Layout;
import dev.attest.reference.Precision;
import dev.attest.reference.Rotary;
import dev.attest.reference.Tensor;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Backends;
import dev.attest.spi.Capabilities;
import dev.attest.spi.Feature;
import dev.attest.spi.UnsupportedFeatureException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SPI contract: every output element written, inputs untouched, refusal before writing, discovery. */
class ContractTest {

    static List<AttentionBackend> backends() {
        return List.of(new CpuNaiveBackend(), new CpuBatchedBackend());
    }

    private static AttentionProblem sample(Random rnd) {
        var spec = AttentionSpec.builder().batch(2).heads(4, 2).lengths(5, 7).headDims(4, 3).softcap(2)
                .causal(Alignment.BOTTOM_RIGHT).build();
        return Problems.attention(rnd, spec, Layout.BSHD, Layout.BHSD, Layout.BSHD, Problems.randomBias(rnd, 5, 7),
                new int[]{7, 2});
    }

    private static LayerProblem sampleLayer(Random rnd) {
        var core = AttentionSpec.builder().batch(2).heads(4, 2).lengths(3, 6).headDims(4, 4).build();
        return Problems.layer(rnd, new LayerSpec(core, 8, 5, 6, true, Rotary.of(4), 2), true, null, new int[]{6, 3}, 2, 0);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void nanFilledOutputIsFullyOverwrittenAndInputsUntouched(AttentionBackend backend) {
        AttentionProblem problem = sample(new Random(1));
        float[] q = problem.query().data().clone(), k = problem.key().data().clone(), v = problem.value().data().clone();
        for (Layout layout : Layout.values()) {
            Tensor out = problem.allocateOutput(layout).fill(Float.NaN);
            backend.attention(problem, out);
            assertFalse(out.hasNonFinite(), layout + " output still holds NaN");
        }
        assertArrayEquals(q, problem.query().data());
        assertArrayEquals(k, problem.key().data());
        assertArrayEquals(v, problem.value().data());

        LayerProblem layer = sampleLayer(new Random(2));
        float[] x = layer.input().data().clone(), m = layer.memory().data().clone();
        float[] wq = layer.weights().wq().data().clone(), aq = layer.weights().loraQ().a().data().clone();
        Tensor out = layer.allocateOutput().fill(Float.NaN);
        backend.layer(layer, out);
        assertFalse(out.hasNonFinite(), "layer output still holds NaN");
        assertArrayEquals(x, layer.input().data());
        assertArrayEquals(m, layer.memory().data());
        assertArrayEquals(wq, layer.weights().wq().data());
        assertArrayEquals(aq, layer.weights().loraQ().a().data());
    }

    @ParameterizedTest
    @MethodSource("backends")
    void deterministicBitForBit(AttentionBackend backend) {
        var spec = AttentionSpec.builder().batch(2).heads(8, 2).lengths(64, 96).headDim(32)
                .causal(Alignment.BOTTOM_RIGHT).build();
        AttentionProblem problem = Problems.attention(new Random(3), spec, Layout.BSHD, Layout.BSHD, Layout.BSHD, null, null);
        Tensor first = problem.allocateOutput(Layout.BHSD);
        backend.attention(problem, first);
        for (int repeat = 0; repeat < 3; repeat++) {
            Tensor again = problem.allocateOutput(Layout.BHSD);
            backend.attention(problem, again);
            assertArrayEquals(first.toArray(), again.toArray());
        }
    }

    @Test
    void refusesUndeclaredFeaturesBeforeWriting() {
        Set<Feature> fewer = EnumSet.allOf(Feature.class);
        fewer.remove(Feature.SOFTCAP);
        fewer.remove(Feature.ROTARY);
        Capabilities reduced = new Capabilities(fewer, Precision.FP32);
        for (AttentionBackend backend : List.of(new CpuNaiveBackend(reduced), new CpuBatchedBackend(reduced))) {
            AttentionProblem problem = sample(new Random(4));
            Tensor out = problem.allocateOutput(Layout.BHSD).fill(Float.NaN);
            var e = assertThrows(UnsupportedFeatureException.class, () -> backend.attention(problem, out));
            assertEquals(Set.of(Feature.SOFTCAP), e.features());
            assertTrue(e.getMessage().contains(backend.name()), e.getMessage());
            out.forEachIndex(i -> assertTrue(Float.isNaN(out.data()[i]), "output written before refusal"));

            LayerProblem layer = sampleLayer(new Random(5));
            Tensor y = layer.allocateOutput().fill(Float.NaN);
            var le = assertThrows(UnsupportedFeatureException.class, () -> backend.layer(layer, y));
            assertEquals(Set.of(Feature.ROTARY), le.features());
            y.forEachIndex(i -> assertTrue(Float.isNaN(y.data()[i]), "layer output written before refusal"));
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void wrongOutputShapeIsRefusedBeforeWriting(AttentionBackend backend) {
        AttentionProblem problem = sample(new Random(6));
        Tensor wrong = Tensor.zeros(2, 4, 5, 4).fill(Float.NaN);
        assertThrows(IllegalArgumentException.class, () -> backend.attention(problem, wrong));
        assertTrue(Float.isNaN(wrong.data()[0]));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void declaresEveryFeatureAccumulatingInFp32(AttentionBackend backend) {
        Capabilities caps = backend.capabilities();
        assertEquals(Precision.FP32, caps.precision());
        java.util.Set<dev.attest.spi.Feature> expected = java.util.EnumSet.allOf(dev.attest.spi.Feature.class);
        if (caps.types().equals(java.util.Set.of(dev.attest.spi.TensorTypes.FP32))) {
            expected.remove(dev.attest.spi.Feature.LOW_PRECISION);       // fp32 tensors only
        }
        assertEquals(expected, caps.features());
    }

    @org.junit.jupiter.api.Test
    void cpuNaiveTakesEveryCommonCombinationOfElementTypes() {
        assertEquals(new java.util.LinkedHashSet<>(dev.attest.spi.TensorTypes.COMMON),
                new CpuNaiveBackend().capabilities().types());
    }

    @Test
    void serviceLoaderFindsBothByName() {
        List<String> names = Backends.discover().stream().map(AttentionBackend::name).toList();
        assertTrue(names.containsAll(List.of("cpu-batched", "cpu-naive")), names.toString());
        assertEquals(CpuNaiveBackend.class, Backends.byName("cpu-naive").getClass());
        assertEquals(CpuBatchedBackend.class, Backends.byName("cpu-batched").getClass());
    }
}
