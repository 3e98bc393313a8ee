package dev.attest.reports.golden;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AuxiliaryOutputs;
import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;
import dev.attest.reference.cache.Chunk;
import dev.attest.reports.model.Status;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Feature;
import dev.attest.spi.KvCache;
import dev.attest.spi.TensorTypes;
import dev.attest.spi.UnsupportedFeatureException;

import java.util.Arrays;
import java.util.Set;
import java.util.function.Function;

/**
 * A format-2 cache case on one backend, as a serving engine runs it ({@link GoldenCachePlan}): the backend's cache
 * opened from the past K/V, every chunk appended in order, the chunks' outputs judged together as {@code out} at the
 * case's tolerance, the present K/V after the last chunk bit for bit (a cache stores what it is given, in its type),
 * and the expected log-sum-exp or scores of a one-chunk case through the same step as one problem (ONNX's
 * {@code qk_matmul_output} with past). A backend without a cache, or without a feature a chunk needs, is
 * unsupported for the case.
 */
final class GoldenCacheRun {
    private GoldenCacheRun() {
    }

    static GoldenResult check(Golden.Loaded loaded, AttentionBackend backend, Function<Throwable, String> describeCrash) {
        GoldenCachePlan plan = loaded.cache();
        String name = loaded.options().name();
        ElementType type = plan.spec().types().activations();
        TensorTypes types = TensorTypes.uniform(type);
        if (!backend.capabilities().supports(types)) {
            return new GoldenResult(name, backend.name(), Status.UNSUPPORTED, backend.name() + " does not take element"
                    + " types " + types + " (it declares " + backend.capabilities().types() + ")");
        }
        Set<Feature> need = Feature.requiredBy(plan.spec());
        for (Chunk chunk : plan.chunks()) need.addAll(Feature.requiredBy(chunk));
        Set<Feature> missing = backend.capabilities().missing(need);
        if (!missing.isEmpty()) {
            return new GoldenResult(name, backend.name(), Status.UNSUPPORTED, backend.name() + " does not declare "
                    + missing);
        }
        AttentionProblem step = plan.steps().get(0);
        AuxiliaryOutputs aux = GoldenRun.auxiliary(loaded, step.spec());
        String auxMissing = aux == null ? null : GoldenRun.missingAuxiliary(backend, aux);
        if (auxMissing != null) return new GoldenResult(name, backend.name(), Status.UNSUPPORTED, auxMissing);

        Tensor out = Tensor.zeros(type, loaded.options().batch(), loaded.options().qHeads(),
                loaded.options().qLength(), loaded.options().vHeadDim());
        String present;
        try {
            KvCache cache = plan.past() == null ? backend.openCache(plan.spec())
                    : backend.openCache(plan.spec(), plan.past());
            for (int i = 0; i < plan.chunks().size(); i++) {
                Chunk chunk = plan.chunks().get(i);
                Tensor part = Tensor.zeros(type, out.dim(0), out.dim(1), chunk.query().dim(2), out.dim(3));
                cache.append(chunk, part);
                GoldenCachePlan.rows(out, plan.rowsBefore()[i], part.dim(2)).copyFrom(part);
            }
            present = presentMismatch("present_key", plan.presentKey(), cache.presentKey());
            if (present == null) present = presentMismatch("present_value", plan.presentValue(), cache.presentValue());
            if (aux != null) backend.attention(step, Tensor.zeros(type, step.outputShape()), aux);
        } catch (UnsupportedFeatureException e) {
            return new GoldenResult(name, backend.name(), Status.UNSUPPORTED, e.getMessage());
        } catch (RuntimeException | Error e) {
            return new GoldenResult(name, backend.name(), Status.FAIL, "threw " + describeCrash.apply(e));
        }
        return GoldenRun.judged(loaded, backend, out, aux, present);
    }

    /** Where the cache's present K or V differs from the expected bits, or null (also when none is expected). */
    private static String presentMismatch(String array, Tensor expected, Tensor got) {
        if (expected == null) return null;
        if (got == null || !Arrays.equals(expected.shape(), got.shape())) {
            return array + " has shape " + (got == null ? "none" : Arrays.toString(got.shape())) + ", expected "
                    + Arrays.toString(expected.shape());
        }
        if (got.type() != expected.type()) return array + " is " + got.type() + ", expected " + expected.type();
        int[] s = expected.shape();
        for (int b = 0; b < s[0]; b++)
            for (int h = 0; h < s[1]; h++)
                for (int t = 0; t < s[2]; t++)
                    for (int d = 0; d < s[3]; d++) {
                        if (got.bits(b, h, t, d) != expected.bits(b, h, t, d)) {
                            return array + " differs at " + Arrays.toString(new int[]{b, h, t, d}) + ": "
                                    + got.get(b, h, t, d) + ", expected " + expected.get(b, h, t, d)
                                    + " (compared bit for bit)";
                        }
                    }
        return null;
    }
}
