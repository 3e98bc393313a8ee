package dev.attest.properties.linear;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.linear.LinearSpec;
import dev.attest.linear.LinearState;
import dev.attest.linear.UpdateRule;
import dev.attest.oracle.Oracle;
import dev.attest.oracle.OracleResult;
import dev.attest.properties.engine.Arbitrary;
import dev.attest.properties.engine.CaseCheck;
import dev.attest.properties.engine.CaseKey;
import dev.attest.properties.engine.Cases;
import dev.attest.properties.engine.Facts;
import dev.attest.properties.engine.PropertyDescription;
import dev.attest.properties.engine.PropertyRunner;
import dev.attest.properties.engine.PropertyTimeout;
import dev.attest.properties.judge.Expectation;
import dev.attest.reference.Alignment;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.AttentionSpec;
import dev.attest.reference.InvalidProblemException;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.spi.LinearAttentionBackend;
import dev.attest.spi.LinearCapabilities;
import dev.attest.spi.LinearFeature;
import dev.attest.spi.UnsupportedLinearFeatureException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The linear-attention conformance kit (DESIGN.md "Linear attention"): linear attention computes its own function,
 * so it has its own contract, judged exactly against {@link dev.attest.oracle.LinearOracle} and approximately
 * against softmax attention. Extend it and supply {@link #backend()}:
 *
 * <pre>
 * class MyLinearConformanceTest extends LinearAttentionContract {
 *     protected LinearAttentionBackend backend() { return new MyLinearBackend(); }
 * }
 * </pre>
 *
 * Names follow {@code required_|optional_|stochastic_} + {@link LinearClause} id + the rule as a sentence. A property
 * needing an undeclared capability is aborted with {@code unsupported:} (skipped, never passed). Stochastic
 * properties use fixed seeds and state their confidence bounds, so they are deterministic in CI. Each property runs
 * under a time limit, {@code -Dattest.timeout=SECONDS} (default 300; see {@link PropertyTimeout}).
 */
@TestMethodOrder(MethodOrderer.MethodName.class)
@ExtendWith(PropertyTimeout.class)
public abstract class LinearAttentionContract {
    static final int CANARY_BITS = 0x7fc0beef;

    /** The backend under test; may return the same instance each time. */
    protected abstract LinearAttentionBackend backend();

    /** The line a failure prints to rerun one case; override to fit your build. */
    protected String reproduceCommand(String property, CaseKey key) {
        return "./build test -pl properties -Dtest='" + getClass().getSimpleName() + "#" + property
                + "' -Dattest.linear.backends=" + backend().name() + " -Dattest.replay=" + key;
    }

    // ---------------------------------------------------------------------------------------------------------
    // L1, L2: the definition and the state

    /**
     * The output agrees with the linear-attention oracle (double-double, the recurrent definition) within the
     * tolerance model: error at most max(floor, 2 × the error of the same definition computed in the backend's
     * precision), for every declared form, update rule, feature map, GQA and carried state.
     * If this fails, check: the update order (the output reads the state after absorbing token t); a gate applied
     * to the new term too; the delta rule's prediction read from the undecayed state; the normaliser z.
     */
    @Test
    public void required_L1_output_agrees_with_the_linear_oracle_within_the_tolerance_model() {
        property(LinearClause.L1, cases(), c -> {
            LinearProblem p = c.materialize();
            LinearJudge.output(p, precision()).check(run(p).output);
        });
    }

    /**
     * The returned state is {@code S = Σ φ(k)vᵀ} under the rule and {@code z = Σ φ(k)} (oracle within tolerance),
     * its position is the carried position plus S, and neither the inputs nor the given state were modified.
     * If this fails, check: the state stored before the last token; z kept when unnormalised; a state updated in
     * place.
     */
    @Test
    public void required_L2_the_returned_state_is_the_oracle_state_and_inputs_are_untouched() {
        property(LinearClause.L2, cases(), c -> {
            LinearProblem p = c.materialize();
            float[][] before = snapshot(p);
            Run r = run(p);
            LinearJudge.stateS(p, precision()).check(r.state.s());
            if (p.spec().normalized()) {
                if (r.state.z() == null) fail("a normalised call returned no z", "problem", p);
                LinearJudge.stateZ(p, precision()).check(r.state.z());
            }
            int expected = (p.initialState() == null ? 0 : p.initialState().position()) + p.spec().length();
            if (r.state.position() != expected) {
                fail("the returned state's position is wrong", "expected", expected, "but was", r.state.position());
            }
            float[][] after = snapshot(p);
            for (int i = 0; i < before.length; i++) {
                if (!java.util.Arrays.equals(before[i], after[i])) {
                    fail("the backend modified an input or the given state", "tensor", SNAPSHOT_NAMES[i]);
                }
            }
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // L3: forms agree

    /**
     * A chunked backend gives the oracle's output for every chunk size (1, 2, 3, S−1, S, S+5): the chunk size is a
     * tuning knob, never a change of result. Not run (aborted) for backends without the knob
     * ({@link LinearAttentionBackend#withChunkSize}).
     * If this fails, check: the decay products across the chunk boundary; the last partial chunk; the state
     * carried between chunks including the in-chunk terms.
     */
    @Test
    public void optional_L3_the_chunk_size_does_not_change_the_result() {
        if (!backend().withChunkSize(1).isPresent()) {
            Assumptions.abort("unsupported: " + backend().name()
                    + " has no chunk-size knob (withChunkSize is empty)");
        }
        property(LinearClause.L3, cases(), c -> {
            LinearProblem p = c.materialize();
            Expectation e = LinearJudge.output(p, precision());
            int n = p.spec().length();
            for (int chunk : new int[]{1, 2, 3, Math.max(1, n - 1), n, n + 5}) {
                LinearAttentionBackend tuned = backend().withChunkSize(chunk).orElseThrow();
                Tensor out = p.allocateOutput().fill(Float.NaN);
                tuned.forward(p, out);
                try {
                    e.check(out);
                } catch (AssertionError failure) {
                    throw new AssertionError("chunk size " + chunk + " changed the result\n" + failure.getMessage());
                }
            }
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // L4: split and resume, decoding

    /**
     * Running the tokens in two or three pieces, each continuing from the state the previous piece returned, gives
     * the output of one call (oracle of the whole within tolerance).
     * If this fails, check: the carried state ignored or added twice; z not carried; gates of the second piece
     * applied to the first piece's contribution.
     */
    @Test
    public void required_L4_split_and_resume_with_the_carried_state_equals_one_call() {
        requireLinearFeatures(LinearFeature.CAUSAL, LinearFeature.INITIAL_STATE);
        property(LinearClause.L4, cases().finishing(c -> c.length() >= 2 ? c
                : c.withDims(c.batch(), c.qHeads(), c.kvHeads(), 3, c.kDim(), c.vDim())).filter(LinearCase::causal), c -> {
            LinearProblem p = c.materialize();
            int n = p.spec().length();
            int first = 1 + (int) Math.floorMod(c.dataSeed(), n - 1);
            int second = first + (int) Math.floorMod(c.dataSeed() >> 16, n - first);
            List<Integer> cuts = second > first ? List.of(first, second) : List.of(first);
            LinearJudge.output(p, precision()).check(inPieces(p, cuts, false));
        });
    }

    /**
     * Prefill some tokens, then decode the rest one token at a time with {@link LinearAttentionBackend#step} and the
     * carried state: the outputs equal full causal linear attention. This is linear attention's KV cache: the state
     * S (F × Dv), z (F) replaces the growing key/value cache.
     * If this fails, check: the step reading the state before absorbing its token; the position not advanced.
     */
    @Test
    public void required_L4_decoding_token_by_token_with_the_state_equals_full_causal() {
        requireLinearFeatures(LinearFeature.CAUSAL, LinearFeature.INITIAL_STATE);
        property(LinearClause.L4, cases().filter(LinearCase::causal), c -> {
            LinearProblem p = c.materialize();
            int n = p.spec().length();
            int prefill = (int) Math.floorMod(c.dataSeed(), n);
            List<Integer> cuts = new ArrayList<>();
            for (int t = Math.max(prefill, 1); t < n; t++) cuts.add(t);
            LinearJudge.output(p, precision()).check(inPieces(p, cuts, true));
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // L5: grouped heads

    /**
     * Grouped-query linear attention equals the multi-head problem with every kv head (keys, values, gates, betas,
     * carried state) repeated for its group: query head h reads kv head h / (Hq/Hkv).
     * If this fails, check: heads mapped by tiling ({@code h % Hkv}) instead of division; one state per query head.
     */
    @Test
    public void required_L5_gqa_equals_mha_with_repeat_interleaved_key_value_heads() {
        requireLinearFeatures(LinearFeature.GROUPED_QUERY_HEADS);
        property(LinearClause.L5, cases().finishing(c -> c.kvHeads() >= 2 && c.qHeads() > c.kvHeads() ? c
                : c.withDims(c.batch(), 4, 2, c.length(), c.kDim(), c.vDim())), c -> {
            LinearProblem gqa = c.materialize();
            LinearJudge.output(repeatKeyValueHeads(gqa), gqa, precision()).check(run(gqa).output);
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // L6: the normaliser

    /**
     * With a strictly positive feature map (ELU+1, FAVOR+) and inputs three times larger than usual, the normaliser
     * {@code zᵀφ(q)} never vanishes: every output is finite, agrees with the oracle, and lies within the range of the
     * values it averages (a normalised output is a convex combination of values).
     * If this fails, check: exp overflow or underflow in the feature map (use the stabilised exponent
     * {@code wᵀx − ‖x‖²/2}); a query stabiliser that does not cancel; a denominator without the carried z.
     */
    @Test
    public void required_L6_the_normaliser_is_never_zero_for_positive_feature_maps() {
        requireLinearFeatures(LinearFeature.NORMALIZED);
        property(LinearClause.L6, cases().finishing(c -> c.withOptions(c.causal(), true, false)), c -> {
            LinearProblem base = c.materialize();
            LinearProblem p = new LinearProblem(base.spec(), times(base.query(), 3), times(base.key(), 3),
                    base.value(), base.gates(), base.betas(), null);
            Cases.footnote("inputs given", "Q and K of the case times 3, no carried state");
            Expectation e = LinearJudge.output(p, precision());
            Tensor out = run(p).output;
            e.check(out);
            LinearSpec s = p.spec();
            for (int b = 0; b < s.batch(); b++)
                for (int h = 0; h < s.qHeads(); h++)
                    for (int t = 0; t < s.length(); t++)
                        for (int d = 0; d < s.vDim(); d++) {
                            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
                            for (int j = 0; j < (s.causal() ? t + 1 : s.length()); j++) {
                                double v = p.value().get(b, s.kvHeadOf(h), j, d);
                                lo = Math.min(lo, v);
                                hi = Math.max(hi, v);
                            }
                            double o = out.get(b, h, t, d), slack = e.allowance();
                            if (!(o >= lo - slack && o <= hi + slack)) {
                                fail("normalised output outside the range of the values it averages",
                                        "element", "[b=" + b + ", h=" + h + ", t=" + t + ", d=" + d + "]",
                                        "output", o, "value range", "[" + lo + ", " + hi + "]", "slack", slack);
                            }
                        }
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // L7: the backend contract

    /**
     * A carried state of the wrong shape (one more feature row, one more value column, one more kv head, or a
     * missing z for a normalised call) is refused with an {@link InvalidProblemException} that says "state" and
     * names the axis, before anything is written to the output.
     * If this fails, check: the state's shape is validated ({@code LinearState.requireFits}) before computing.
     */
    @Test
    public void required_L7_a_state_of_the_wrong_shape_is_a_clear_error() {
        requireLinearFeatures(LinearFeature.INITIAL_STATE);
        property(LinearClause.L7, cases(), c -> {
            LinearProblem p = c.materialize();
            LinearSpec s = p.spec();
            int which = (int) Math.floorMod(c.dataSeed(), s.normalized() ? 4 : 3);
            int[] shape = {s.batch(), s.kvHeads(), s.features(), s.vDim()};
            String axis = switch (which) {
                case 0 -> "F (features";
                case 1 -> "Dv (value head dimension)";
                case 2 -> "Hkv (key/value heads)";
                default -> "state z is missing";
            };
            if (which < 3) shape[new int[]{2, 3, 1}[which]]++;
            Tensor bad = Tensor.zeros(shape);
            Tensor z = s.normalized() && which < 3 ? Tensor.zeros(shape[0], shape[1], shape[2]) : null;
            LinearProblem misfit = p.withInitialState(new LinearState(bad, z, 1));
            Tensor out = p.allocateOutput().fill(Float.intBitsToFloat(CANARY_BITS));
            try {
                backend().forward(misfit, out);
                fail("a state of the wrong shape was accepted", "state S shape", java.util.Arrays.toString(shape),
                        "problem", p);
            } catch (InvalidProblemException expected) {
                String message = expected.getMessage();
                if (!message.contains("state") || !message.contains(axis)) {
                    fail("the error does not name the state and the axis", "expected to mention", axis,
                            "message", message);
                }
            }
            requireUntouched(out, "after refusing a misfit state");
        });
    }

    /**
     * Every combination of form, normalisation, update rule, feature-map kind, carried state and GQA that the
     * backend does not declare is refused with {@link UnsupportedLinearFeatureException} before writing (the
     * capability declaration is honest in the refusing direction; the other properties check the accepting one).
     * Aborted when the backend declares everything.
     * If this fails, check: the capability check runs first ({@code CheckedLinearBackend}).
     */
    @Test
    public void required_L7_undeclared_features_are_refused_before_writing() {
        LinearCapabilities caps = capabilities();
        List<LinearProblem> undeclared = new ArrayList<>();
        for (UpdateRule rule : UpdateRule.values())
            for (boolean causal : new boolean[]{true, false})
                for (boolean normalized : new boolean[]{true, false})
                    for (FeatureMap.Kind map : FeatureMap.Kind.values())
                        for (boolean state : new boolean[]{true, false})
                            for (boolean gqa : new boolean[]{true, false}) {
                                if ((!causal || normalized) && rule != UpdateRule.LINEAR) continue;
                                LinearCase c = new LinearCase(1, gqa ? 2 : 1, 1, 3, 2, 2, causal, map, false, 2, rule,
                                        normalized, state, 7);
                                LinearProblem p = c.materialize();
                                if (!caps.missing(p).isEmpty()) undeclared.add(p);
                            }
        if (undeclared.isEmpty()) {
            Assumptions.abort("not applicable: " + backend().name() + " declares every linear form, rule and map");
        }
        for (LinearProblem p : undeclared) {
            Tensor out = p.allocateOutput().fill(Float.intBitsToFloat(CANARY_BITS));
            try {
                backend().forward(p, out);
                fail("an undeclared feature was not refused", "problem", p, "missing", caps.missing(p));
            } catch (UnsupportedLinearFeatureException expected) {
                requireUntouched(out, "after refusing " + caps.missing(p));
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // A1: approximation of softmax

    /** Feature counts of {@link #stochastic_A1_favor_output_error_against_softmax_falls_as_m_grows}. */
    static final int[] SOFTMAX_M = {4, 16, 64, 256};
    /** Redraws averaged per feature count. */
    static final int SOFTMAX_REDRAWS = 8;

    /**
     * With FAVOR+ features (orthogonal, normalised output, default scale 1/√Dk), the relative RMS error of the
     * backend's output against exact softmax attention (the softmax oracle, same Q, K, V, causal top-left when the
     * backend has no non-causal form) falls as m grows: averaged over 8 seeded redraws, it falls at each step
     * m = 4, 16, 64, 256, and by at least 3× from 4 to 256.
     * Confidence: the FAVOR+ error scales as m^{-1/2} (Lemma 2), so each 4× step halves it and the whole range
     * divides it by 8. The mean of 8 draws has a coefficient of variation of about 0.15 (single draws about 0.4),
     * so a reversed step needs a deviation of about 4.7 standard deviations (p ≈ 1e-6); the 3× bound leaves more
     * than 2× margin. Seeds are fixed, so the run is deterministic.
     * If this fails, check: the input scale d^{-1/4} inside the feature map; the −‖x‖²/2 term; a redraw that
     * reuses the same projection.
     */
    @Test
    public void stochastic_A1_favor_output_error_against_softmax_falls_as_m_grows() {
        requireLinearFeatures(LinearFeature.NORMALIZED);
        LinearCapabilities caps = capabilities();
        if (!caps.maps().contains(FeatureMap.Kind.FAVOR_POSITIVE) || !caps.rules().contains(UpdateRule.LINEAR)) {
            Assumptions.abort("unsupported: " + backend().name()
                    + " does not declare the FAVOR_POSITIVE map with the LINEAR rule");
        }
        boolean causal = !caps.supports(LinearFeature.NON_CAUSAL);
        double[] errors = ApproximationSweep.meanErrors(this::runForSweep, causal, 1, 2, 12, 4, 3, SOFTMAX_M,
                SOFTMAX_REDRAWS, 20261123L);
        Facts facts = Facts.of().add("backend", backend().name());
        for (int i = 0; i < SOFTMAX_M.length; i++) {
            facts.add("m=" + SOFTMAX_M[i], String.format(Locale.ROOT, "relative RMS %.4g", errors[i]));
        }
        for (int i = 1; i < errors.length; i++) {
            if (!(errors[i] < errors[i - 1])) {
                throw new AssertionError("the error against softmax did not fall as m grew\n" + facts);
            }
        }
        if (!(errors[errors.length - 1] * 3 <= errors[0])) {
            throw new AssertionError("the error against softmax fell by less than 3x from m=4 to m=256\n" + facts);
        }
        System.out.println("[stochastic_A1_favor_output_error_against_softmax_falls_as_m_grows]\n" + facts);
    }

    private Tensor runForSweep(LinearProblem p) {
        return run(p).output;
    }

    // ---------------------------------------------------------------------------------------------------------
    // the kit's machinery

    protected LinearCases cases() {
        return LinearCases.supportedBy(capabilities());
    }

    protected LinearCapabilities capabilities() {
        return backend().capabilities();
    }

    protected Precision precision() {
        return capabilities().precision();
    }

    /** Runs a property under the engine, with this backend's name and reproduce line in every failure. */
    protected <T> void property(LinearClause clause, Arbitrary<T> cases, CaseCheck<T> check) {
        String name = StackWalker.getInstance().walk(frames -> frames.map(StackWalker.StackFrame::getMethodName)
                .filter(n -> n.startsWith("required_") || n.startsWith("optional_") || n.startsWith("stochastic_"))
                .findFirst().orElse("property"));
        PropertyDescription description = PropertyDescription.of(name, clause.cite(), backend().name())
                .withReproduce(key -> reproduceCommand(name, key));
        PropertyRunner.check(description, cases, check);
    }

    /** Aborts (skipped, never passed) unless the backend declares every feature. */
    protected void requireLinearFeatures(LinearFeature... features) {
        List<LinearFeature> missing = new ArrayList<>();
        for (LinearFeature f : features) if (!capabilities().supports(f)) missing.add(f);
        if (!missing.isEmpty()) {
            Assumptions.abort("unsupported: " + backend().name() + " does not declare " + missing);
        }
    }

    /** An output and the returned state. */
    protected record Run(Tensor output, LinearState state) {
    }

    /**
     * Aborts with {@code unsupported:} when {@code p} needs something the backend does not declare: the kit's guard
     * that a backend is never blamed for refusing what it never claimed (the cases are drawn to fit, so it trips
     * only when a property's own change to a case adds a need).
     */
    protected void requireDeclared(LinearProblem p) {
        List<String> missing = capabilities().missing(p);
        if (!missing.isEmpty()) {
            Assumptions.abort("unsupported: " + backend().name() + " does not declare " + missing
                    + ", which this property needs (it would be given " + p + ")");
        }
    }

    /** Runs into a NaN-filled output; refusing a declared feature is a failure. */
    protected Run run(LinearProblem p) {
        requireDeclared(p);
        Tensor out = p.allocateOutput().fill(Float.NaN);
        // the case's description does not show what a property changed (scaled inputs, a dropped state)
        Cases.footnote("given to the backend", p);
        try {
            return new Run(out, backend().forward(p, out));
        } catch (UnsupportedLinearFeatureException refused) {
            throw new AssertionError(Facts.of().add("failure", "the backend refused a feature it declares")
                    .add("refused", refused.getMessage()).add("problem", p).toString(), refused);
        }
    }

    /** Runs tokens [0, c1), [c1, c2), ... carrying the state; one-token pieces go through {@code step}. */
    private Tensor inPieces(LinearProblem p, List<Integer> cuts, boolean stepSingles) {
        Tensor whole = p.allocateOutput().fill(Float.NaN);
        List<Integer> bounds = new ArrayList<>();
        bounds.add(0);
        bounds.addAll(cuts);
        bounds.add(p.spec().length());
        LinearState state = p.initialState();
        for (int i = 0; i + 1 < bounds.size(); i++) {
            int from = bounds.get(i), to = bounds.get(i + 1);
            if (from == to) continue;
            LinearProblem piece = p.slice(from, to, state);
            requireDeclared(piece);
            Tensor out = LinearProblem.sliceAxis(whole, 2, from, to);
            state = stepSingles && to - from == 1 ? backend().step(piece, out) : backend().forward(piece, out);
        }
        return whole;
    }

    /** The multi-head problem with every kv head (and its gates, betas and state) repeated for its group. */
    static LinearProblem repeatKeyValueHeads(LinearProblem p) {
        LinearSpec s = p.spec();
        LinearSpec mha = s.withHeads(s.qHeads(), s.qHeads());
        LinearState init = p.initialState();
        return new LinearProblem(mha, p.query(), repeat(p.key(), s), repeat(p.value(), s), repeat(p.gates(), s),
                repeat(p.betas(), s), init == null ? null : new LinearState(repeat(init.s(), s),
                repeat(init.z(), s), init.position()));
    }

    private static Tensor repeat(Tensor t, LinearSpec s) {
        if (t == null) return null;
        int[] shape = t.shape();
        shape[1] = s.qHeads();
        Tensor out = Tensor.zeros(shape);
        int[] idx = new int[shape.length];
        for (int flat = 0; flat < out.size(); flat++) {
            int rest = flat;
            for (int axis = shape.length - 1; axis >= 0; axis--) {
                idx[axis] = rest % shape[axis];
                rest /= shape[axis];
            }
            int[] source = idx.clone();
            source[1] = s.kvHeadOf(idx[1]);
            out.set(t.get(source), idx);
        }
        return out;
    }

    private static Tensor times(Tensor t, float factor) {
        Tensor out = t.copy();
        out.forEachIndex(i -> out.data()[i] *= factor);
        return out;
    }

    private static final String[] SNAPSHOT_NAMES = {"Q", "K", "V", "gates", "betas", "state S", "state z"};

    private static float[][] snapshot(LinearProblem p) {
        LinearState st = p.initialState();
        Tensor[] all = {p.query(), p.key(), p.value(), p.gates(), p.betas(), st == null ? null : st.s(),
                st == null ? null : st.z()};
        float[][] out = new float[all.length][];
        for (int i = 0; i < all.length; i++) out[i] = all[i] == null ? new float[0] : all[i].toArray();
        return out;
    }

    private static void requireUntouched(Tensor out, String when) {
        float[] values = out.toArray();
        for (int i = 0; i < values.length; i++) {
            if (Float.floatToRawIntBits(values[i]) != CANARY_BITS) {
                fail("the backend wrote to the output " + when, "flat index", i, "value", values[i]);
            }
        }
    }

    /** Throws an {@link AssertionError} whose message is a fact block. */
    static void fail(String failure, Object... keyValues) {
        Facts facts = Facts.of().add("failure", failure);
        for (int i = 0; i + 1 < keyValues.length; i += 2) facts.add(String.valueOf(keyValues[i]), keyValues[i + 1]);
        throw new AssertionError(facts.toString());
    }

    /** The softmax problem with the same tensors (default scale; causal top-left when asked). */
    static AttentionProblem softmaxOf(LinearProblem p) {
        LinearSpec s = p.spec();
        AttentionSpec.Builder b = AttentionSpec.builder().batch(s.batch()).heads(s.qHeads(), s.kvHeads())
                .lengths(s.length(), s.length()).headDims(s.kDim(), s.vDim());
        if (s.causal()) b.causal(Alignment.TOP_LEFT);
        return new AttentionProblem(b.build(), p.query(), p.key(), p.value());
    }

    static OracleResult softmaxOracle(LinearProblem p) {
        return Oracle.attention(softmaxOf(p));
    }
}
