package dev.attest.properties.contract;

import dev.attest.properties.cases.AttentionCase;
import dev.attest.properties.cases.AttentionCases;
import dev.attest.properties.cases.CacheCase;
import dev.attest.properties.cases.CacheCases;
import dev.attest.properties.cases.LayerCases;
import dev.attest.properties.engine.Arbitrary;
import dev.attest.properties.engine.CaseCheck;
import dev.attest.properties.engine.CaseKey;
import dev.attest.properties.engine.Cases;
import dev.attest.properties.engine.Facts;
import dev.attest.properties.engine.PropertyDescription;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.LayerWeights;
import dev.attest.reference.ElementType;
import dev.attest.reference.Layout;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Capabilities;
import dev.attest.spi.Feature;
import dev.attest.spi.TensorTypes;
import dev.attest.spi.UnsupportedFeatureException;
import org.junit.jupiter.api.Assumptions;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static dev.attest.spi.Feature.*;

/**
 * What every clause of the conformance kit ({@link AttentionContract}) stands on: the backend under test, the
 * tolerance factors, the case generators limited to what the backend declares, the property runner with its
 * expected failures, and the calls that hand a problem to the backend (aborting as unsupported what it does not
 * declare, and failing a refusal of what it does). The clauses are split over a chain of classes, one file per group
 * of clauses: {@link CacheProperties} (S9) <- {@link ServingProperties} (S10-S12) <- {@link BackendProperties}
 * (S5, S6, S8) <- {@link AttentionContract} (S1-S4, S7).
 */
public abstract class KitSupport {

    /** k for core outputs: at most twice the plain same-precision error, as FlashAttention judges its kernels. */
    public static final double OUTPUT_K = 2;
    /**
     * k for the layer: also 2. The layer chains four reductions (projection, scores, weighted sum, output
     * projection), but the baseline chains the same four, so the same factor applies.
     */
    public static final double LAYER_K = 2;
    /** Bit pattern written around and into output buffers to spot elements a backend left unwritten. */
    static final int CANARY_BITS = 0x7fc0beef;

    /** The backend under test. Called once per property; may return the same instance each time. */
    protected abstract AttentionBackend backend();

    /** The line a failure prints to rerun one case; override to fit your build. */
    protected String reproduceCommand(String property, CaseKey key) {
        return "./build test -pl properties -am -Dsurefire.failIfNoSpecifiedTests=false -Dtest='"
                + getClass().getSimpleName() + "#" + property + "' -Dattest.backends=" + backend().name()
                + " -Dattest.replay=" + key;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Machinery

    /** Core cases using what the backend declares. */
    protected AttentionCases cases() {
        return AttentionCases.supportedBy(capabilities());
    }

    /** Core KV cache scenarios using what the backend declares. */
    protected CacheCases cacheCases() {
        return CacheCases.core(capabilities());
    }

    /** Layer KV cache scenarios using what the backend declares. */
    protected CacheCases layerCacheCases() {
        return CacheCases.layer(capabilities());
    }

    protected LayerCases layerCases() {
        return LayerCases.over(cases());
    }

    protected Capabilities capabilities() {
        return backend().capabilities();
    }

    protected Precision precision() {
        return capabilities().precision();
    }

    /**
     * Known failures of this backend (see {@link ExpectedFailure}): a property, in every element type or in some,
     * with its reason (an issue or spec reference) and optionally a phrase its failure must contain. Keep entries
     * narrow. A listed property that fails as listed is reported as aborted {@code xfail: <reason>} (or
     * {@code xfail in fp16: <reason>}) with its counterexample; one that passes fails the run ({@code xpass: remove
     * the expectation}), and so does one that fails differently, so the list cannot go stale. By default they are
     * read from the resource {@code META-INF/attest/expected-failures/<backend>.properties} shipped beside the
     * backend (see {@link ExpectedFailures}), so every way of running the kit sees them.
     */
    protected List<ExpectedFailure> expectedFailures() {
        return ExpectedFailures.of(backend().name());
    }

    /**
     * Runs a property under the engine, with this backend's name and reproduce line in every failure, against its
     * known failures ({@link KnownFailureRun}).
     */
    protected <T> void property(Clause clause, Arbitrary<T> cases, CaseCheck<T> check) {
        requireAvailable();
        String name = callingProperty();
        PropertyDescription description = PropertyDescription.of(name, clause.cite(), backend().name())
                .withReproduce(key -> reproduceCommand(name, key));
        List<ExpectedFailure> known = expectedFailures().stream().filter(e -> e.property().equals(name)).toList();
        KnownFailureRun.check(description, known, cases, check);
    }

    /** The {@code required_...} method on the call stack: the property's name, however it was invoked. */
    static String callingProperty() {
        return StackWalker.getInstance().walk(frames -> frames.map(StackWalker.StackFrame::getMethodName)
                .filter(name -> name.startsWith("required_") || name.startsWith("optional_")).findFirst()
                .orElse("property"));
    }

    /**
     * Aborts unless the backend declares a KV cache, CAUSAL and {@code more}: every cache scenario is causal (a
     * cache serves causal attention, {@link CacheCase#attention}), so a cache without CAUSAL has nothing to run.
     */
    protected void requireCache(Feature... more) {
        List<Feature> features = new ArrayList<>(List.of(KV_CACHE, CAUSAL));
        features.addAll(List.of(more));
        requireFeatures(features.toArray(Feature[]::new));
    }

    /** Aborts (reported as skipped, never passed) unless the backend declares every feature. */
    protected void requireFeatures(Feature... features) {
        requireAvailable();
        Set<Feature> missing = capabilities().missing(EnumSet.copyOf(List.of(features)));
        if (!missing.isEmpty()) {
            Assumptions.abort("unsupported: " + backend().name() + " does not declare " + missing);
        }
    }

    protected void requireAvailable() {
        backend().unavailableReason().ifPresent(reason -> Assumptions.abort("unavailable: " + reason));
    }

    /** Runs core attention into a NaN-filled output of the given layout and type. */
    protected Tensor run(AttentionProblem problem, Layout layout, ElementType outputType) {
        Tensor out = layout.allocate(outputType, problem.spec().batch(), problem.spec().qHeads(),
                problem.spec().qLength(), problem.spec().vHeadDim()).fill(Float.NaN);
        call(problem, out);
        return out;
    }

    /**
     * Runs core attention into a NaN-filled output of the given layout, in the output type the backend declares
     * for the problem's input types (fp32 when it declares none for them): for properties of kit subclasses that
     * build their own problems.
     */
    protected Tensor run(AttentionProblem problem, Layout layout) {
        TensorTypes inputs = TensorTypes.of(problem, null);
        ElementType output = capabilities().types().stream().filter(t -> t.inputs().equals(inputs.inputs()))
                .map(TensorTypes::output).findFirst().orElse(ElementType.FP32);
        return run(problem, layout, output);
    }

    /** Runs core attention into a NaN-filled output in the case's output layout and type. */
    protected Tensor run(AttentionProblem problem, AttentionCase c) {
        return run(problem, c.outputLayout(), c.types().output());
    }

    /**
     * The failure report's fact key for a problem handed to the backend. Properties add masks, biases, padding or
     * other layouts to the drawn case, so the case's own description does not say what the backend was given.
     */
    static final String GIVEN = "given to the backend";

    /** Notes {@code problem} (mask, key lengths and layouts included) under {@link #GIVEN} for the failure report. */
    static void noteGiven(AttentionProblem problem, Tensor out) {
        Layout in = Layout.of(problem.query());
        if (in != Layout.of(problem.key()) || in != Layout.of(problem.value())) in = null;
        Layout output = Layout.of(out);
        String layouts = (in == Layout.BHSD ? "" : " in=" + (in == null ? "strided" : in))
                + (output == Layout.BHSD ? "" : " out=" + (output == null ? "strided" : output));
        Cases.footnote(GIVEN, problem + layouts);
    }

    void call(AttentionProblem problem, Tensor out) {
        Declared.require(backend(), Feature.requiredBy(problem, out), problem);
        noteGiven(problem, out);
        declaredIsNotRefused(problem, () -> backend().attention(problem, out));
    }

    /** Runs {@code call}, whose features are all declared: a refusal is then the backend's failure. */
    static void declaredIsNotRefused(Object problem, Runnable call) {
        try {
            call.run();
        } catch (UnsupportedFeatureException refused) {
            throw new AssertionError(Facts.of().add("failure", "the backend refused a feature it declares")
                    .add("refused", refused.getMessage()).add("problem", problem).toString(), refused);
        }
    }

    protected Tensor runLayer(LayerProblem problem) {
        Tensor out = problem.allocateOutput().fill(Float.NaN);
        Declared.require(backend(), Feature.requiredBy(problem), problem);
        Cases.footnote(GIVEN, problem);
        declaredIsNotRefused(problem, () -> backend().layer(problem, out));
        return out;
    }

    static LayerProblem withIdentityOutput(LayerProblem p) {
        int width = p.spec().concatWidth();
        Tensor identity = Tensor.zeros(p.type(), width, width);
        for (int i = 0; i < width; i++) identity.set(1f, i, i);
        LayerWeights w = p.weights();
        return new LayerProblem(p.spec(), new LayerWeights(w.wq(), w.bq(), w.wk(), w.bk(), w.wv(), w.bv(), identity,
                w.bo(), w.loraQ(), w.loraK(), w.loraV()), p.input(), p.memory(), p.mask(), p.keyLengths(),
                p.queryPosition(), p.keyPosition());
    }

    static int headOf(int flat, AttentionProblem p) {
        return unflatten(flat, p.outputShape())[1];
    }

    static int[] unflatten(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int axis = shape.length - 1; axis >= 0; axis--) {
            idx[axis] = flat % shape[axis];
            flat /= shape[axis];
        }
        return idx;
    }

    static int[] permutation(int n, SplittableRandom random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Throws an {@link AssertionError} whose message is a fact block: the failure, then key/value pairs. */
    static void fail(String failure, Object... keyValues) {
        Facts facts = Facts.of().add("failure", failure);
        for (int i = 0; i + 1 < keyValues.length; i += 2) facts.add(String.valueOf(keyValues[i]), keyValues[i + 1]);
        throw new AssertionError(facts.toString());
    }
}
