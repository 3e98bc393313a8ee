package dev.attest.reports.golden;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AuxiliaryOutputs;
import dev.attest.reference.ScoreStage;
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
        if (loaded.cache() != null) return GoldenCacheRun.check(loaded, backend, describeCrash);
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
        AuxiliaryOutputs aux = auxiliary(loaded, problem.spec());
        String auxMissing = aux == null ? null : missingAuxiliary(backend, aux);
        if (auxMissing != null) return new GoldenResult(name, backend.name(), Status.UNSUPPORTED, auxMissing);
        Snapshot before = new Snapshot(problem);
        try {
            if (aux == null) backend.attention(problem, out);
            else backend.attention(problem, out, aux);
        } catch (UnsupportedFeatureException e) {
            return new GoldenResult(name, backend.name(), Status.UNSUPPORTED, e.getMessage());
        } catch (RuntimeException | Error e) {
            return new GoldenResult(name, backend.name(), Status.FAIL, "threw " + describeCrash.apply(e));
        }
        String mutated = before.changedIn(problem);
        if (mutated != null) return new GoldenResult(name, backend.name(), Status.FAIL, mutated);
        return judged(loaded, backend, out, aux, null);
    }

    /**
     * out, and the auxiliary outputs the case expects, against the expected ones at the case's tolerance; {@code more}
     * (or null) is a further verdict already made (a cache's present K/V), a failure that fails the case.
     */
    static GoldenResult judged(Golden.Loaded loaded, AttentionBackend backend, Tensor out, AuxiliaryOutputs aux,
                               String more) {
        double atol = loaded.options().atol(), rtol = loaded.options().rtol();
        GoldenVerdict v = GoldenVerdict.of(out, loaded.expected(), atol, rtol);
        boolean pass = v.pass() && more == null;
        StringBuilder said = new StringBuilder(v.describe(out.shape()));
        if (loaded.expectedLse() != null) pass &= judge("lse", aux.logSumExp(), loaded.expectedLse(), atol, rtol, said);
        if (loaded.expectedScores() != null) {
            pass &= judge("scores", aux.scores(), loaded.expectedScores(), atol, rtol, said);
        }
        if (more != null) said.append("; ").append(more);
        String tolerance = String.format(java.util.Locale.ROOT, " (atol %.1g, rtol %.1g)", atol, rtol);
        return new GoldenResult(loaded.options().name(), backend.name(), pass ? Status.PASS : Status.FAIL,
                said + tolerance);
    }

    /** Appends the verdict on one auxiliary output to {@code said}; returns whether it passed. */
    private static boolean judge(String what, Tensor got, Tensor expected, double atol, double rtol,
                                 StringBuilder said) {
        GoldenVerdict v = GoldenVerdict.of(got, expected, atol, rtol);
        said.append("; ").append(what).append(' ').append(v.describe(expected.shape()));
        return v.pass();
    }

    /** The auxiliary outputs a case expects, allocated for {@code spec}, or null when it expects none. */
    static AuxiliaryOutputs auxiliary(Golden.Loaded loaded, dev.attest.reference.AttentionSpec spec) {
        if (loaded.expectedLse() == null && loaded.expectedScores() == null) return null;
        ScoreStage stage = loaded.expectedScores() == null ? null
                : ScoreStage.valueOf(loaded.options().v2().scoreStage().toUpperCase(java.util.Locale.ROOT));
        return AuxiliaryOutputs.allocate(spec, loaded.expectedLse() != null, stage);
    }

    /** Why the backend cannot give {@code aux} (the features it does not declare), or null. */
    static String missingAuxiliary(AttentionBackend backend, AuxiliaryOutputs aux) {
        Set<Feature> need = java.util.EnumSet.noneOf(Feature.class);
        if (aux.logSumExp() != null) need.add(Feature.LOG_SUM_EXP);
        if (aux.scores() != null) need.add(Feature.ATTENTION_SCORES);
        Set<Feature> missing = backend.capabilities().missing(need);
        return missing.isEmpty() ? null : backend.name() + " does not declare " + missing;
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
