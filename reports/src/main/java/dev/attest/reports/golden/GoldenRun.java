package dev.attest.reports.golden;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.ElementType;
import dev.attest.reference.Layout;
import dev.attest.reference.Mask;
import dev.attest.reference.Tensor;
import dev.attest.reports.model.Status;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Feature;
import dev.attest.spi.TensorTypes;
import dev.attest.spi.UnsupportedFeatureException;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs golden cases on one backend (in its worker JVM): each case read afresh, handed to the backend in the case's
 * own element types (the stored bits, never widened) and layout when it declares {@link Feature#STRIDED_LAYOUT}
 * (else as dense BHSD copies), its inputs checked unchanged after the call, its output judged by
 * {@link GoldenVerdict} in the output's type. A case in a combination of types the backend does not declare is
 * unsupported, as is one needing a feature it lacks. A case the backend throws on is a failure of that case; the
 * next case runs.
 */
public final class GoldenRun {
    private GoldenRun() {
    }

    public static void run(Path dir, List<String> cases, AttentionBackend backend, Consumer<GoldenResult> emit,
                           Function<Throwable, String> describeCrash) {
        for (String name : cases) {
            Golden.Loaded loaded = Golden.load(dir, name);
            emit.accept(check(loaded, backend, describeCrash));
        }
    }

    static GoldenResult check(Golden.Loaded loaded, AttentionBackend backend, Function<Throwable, String> describeCrash) {
        String name = loaded.options().name();
        AttentionProblem problem = loaded.problem();
        boolean strided = loaded.options().storage() != Layout.BHSD;
        if (strided && !backend.capabilities().supports(Feature.STRIDED_LAYOUT)) {
            problem = new AttentionProblem(problem.spec(), problem.query().copy(), problem.key().copy(),
                    problem.value().copy(), problem.mask(), problem.keyLengths());
            strided = false;
        }
        ElementType outType = loaded.expected().type();
        Tensor out = (strided ? loaded.options().storage() : Layout.BHSD).allocate(outType, null,
                problem.spec().batch(), problem.spec().qHeads(), problem.spec().qLength(), problem.spec().vHeadDim());
        TensorTypes types = TensorTypes.of(problem, out);
        if (!backend.capabilities().supports(types)) {
            return new GoldenResult(name, backend.name(), Status.UNSUPPORTED, backend.name() + " does not take element"
                    + " types " + types + " (it declares " + backend.capabilities().types() + ")");
        }
        Set<Feature> missing = backend.capabilities().missing(Feature.requiredBy(problem, out));
        if (!missing.isEmpty()) {
            return new GoldenResult(name, backend.name(), Status.UNSUPPORTED, backend.name() + " does not declare "
                    + missing);
        }
        Snapshot before = new Snapshot(problem);
        try {
            backend.attention(problem, out);
        } catch (UnsupportedFeatureException e) {
            return new GoldenResult(name, backend.name(), Status.UNSUPPORTED, e.getMessage());
        } catch (RuntimeException | Error e) {
            return new GoldenResult(name, backend.name(), Status.FAIL, "threw " + describeCrash.apply(e));
        }
        String mutated = before.changedIn(problem);
        if (mutated != null) return new GoldenResult(name, backend.name(), Status.FAIL, mutated);
        GoldenVerdict v = GoldenVerdict.of(out, loaded.expected(), loaded.options().atol(), loaded.options().rtol());
        String tolerance = String.format(java.util.Locale.ROOT, " (atol %.1g, rtol %.1g)", loaded.options().atol(),
                loaded.options().rtol());
        return new GoldenResult(name, backend.name(), v.pass() ? Status.PASS : Status.FAIL,
                v.describe(problem.outputShape()) + tolerance);
    }

    /** Copies of the stored bits of the inputs a backend must not write, to find the element it changed. */
    private record Snapshot(int[] q, int[] k, int[] v, float[] bias, boolean[] keep) {
        Snapshot(AttentionProblem p) {
            this(storedBits(p.query()), storedBits(p.key()), storedBits(p.value()),
                    p.mask() instanceof Mask.Bias b ? b.bias().clone() : null,
                    p.mask() instanceof Mask.Keep k ? k.keep().clone() : null);
        }

        String changedIn(AttentionProblem p) {
            String change = changed("q", p.query().type(), q, storedBits(p.query()));
            if (change == null) change = changed("k", p.key().type(), k, storedBits(p.key()));
            if (change == null) change = changed("v", p.value().type(), v, storedBits(p.value()));
            if (change == null && bias != null) {
                change = changed("attn_mask", ElementType.FP32, bits(bias), bits(((Mask.Bias) p.mask()).bias()));
            }
            if (change == null && keep != null && !Arrays.equals(keep, ((Mask.Keep) p.mask()).keep())) {
                change = "wrote into its input attn_mask (a boolean mask)";
            }
            return change;
        }

        /** Every element of the tensor's whole array (not only its view), as bits: NaN payloads compare too. */
        private static int[] storedBits(Tensor t) {
            return switch (t.type()) {
                case FP32 -> bits(t.data());
                case FP16, BF16 -> {
                    short[] s = t.bits16();
                    int[] bits = new int[s.length];
                    for (int i = 0; i < s.length; i++) bits[i] = s[i] & 0xffff;
                    yield bits;
                }
                case FP8_E4M3, FP8_E5M2 -> {
                    byte[] s = t.bits8();
                    int[] bits = new int[s.length];
                    for (int i = 0; i < s.length; i++) bits[i] = s[i] & 0xff;
                    yield bits;
                }
            };
        }

        private static int[] bits(float[] values) {
            int[] bits = new int[values.length];
            for (int i = 0; i < values.length; i++) bits[i] = Float.floatToRawIntBits(values[i]);
            return bits;
        }

        private static String changed(String array, ElementType type, int[] before, int[] after) {
            for (int i = 0; i < before.length; i++) {
                if (before[i] != after[i]) {
                    return "wrote into its input " + array + ": element " + i + " of its array was "
                            + type.decode(before[i]) + ", is now " + type.decode(after[i]);
                }
            }
            return null;
        }
    }
}
