package dev.attest.properties.linear;

import java.util.EnumSet;
import java.util.function.Consumer;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.linear.LinearSpec;
import dev.attest.linear.LinearState;
import dev.attest.linear.UpdateRule;
import dev.attest.properties.engine.PropertyFailure;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.spi.LinearAttentionBackend;
import dev.attest.spi.LinearCapabilities;
import dev.attest.spi.LinearFeature;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The linear kit tests itself: a recurrent backend with one realistic bug planted must make a named property fail
 * with a specific phrase in its message.
 */
public class LinearPlantedBugsTest {

    /** The bugs the planted recurrent backend can carry; the mutant catalog ({@code properties.mutants}) reuses them. */
    public enum Bug { NONE, READ_BEFORE_UPDATE, TILED_GQA, IGNORES_CARRIED_STATE, NO_STATE_CHECK, WRONG_POSITION,
        COMPUTES_UNDECLARED,
        /** The normalised read forgets to divide by q·z (returns the numerator). */
        NO_NORMALISER }

    /** A plain recurrent linear backend (LINEAR and GATED rules) with one bug planted. */
    public static final class Mutant implements LinearAttentionBackend {
        private final Bug bug;

        public Mutant(Bug bug) {
            this.bug = bug;
        }

        @Override public String name() { return "mutant-" + bug.name().toLowerCase(java.util.Locale.ROOT); }

        @Override
        public LinearCapabilities capabilities() {
            EnumSet<LinearFeature> f = EnumSet.of(LinearFeature.CAUSAL, LinearFeature.NORMALIZED,
                    LinearFeature.UNNORMALIZED, LinearFeature.INITIAL_STATE, LinearFeature.GROUPED_QUERY_HEADS);
            return new LinearCapabilities(f, EnumSet.of(UpdateRule.LINEAR, UpdateRule.GATED),
                    EnumSet.of(FeatureMap.Kind.IDENTITY, FeatureMap.Kind.ELU_PLUS_ONE), Precision.FP32);
        }

        @Override public FeatureMap defaultFeatureMap(int kDim) { return new FeatureMap.Identity(kDim); }

        @Override
        public LinearState forward(LinearProblem p, Tensor out) {
            if (bug != Bug.COMPUTES_UNDECLARED) capabilities().requireAll(name(), p);
            if (bug != Bug.NO_STATE_CHECK && p.initialState() != null) p.initialState().requireFits(p.spec());
            LinearSpec s = p.spec();
            int f = s.features(), dv = s.vDim();
            LinearState next = LinearState.zeros(s);
            int past = p.initialState() == null ? 0 : p.initialState().position();
            next = new LinearState(next.s(), next.z(), bug == Bug.WRONG_POSITION ? s.length() : past + s.length());
            for (int b = 0; b < s.batch(); b++) {
                for (int g = 0; g < s.kvHeads(); g++) {
                    double[][] st = new double[f][dv];
                    double[] z = new double[f];
                    LinearState init = bug == Bug.IGNORES_CARRIED_STATE ? null : p.initialState();
                    if (init != null) {
                        for (int i = 0; i < f; i++) {
                            for (int e = 0; e < dv; e++) st[i][e] = init.s().get(b, g, i, e);
                            if (init.z() != null) z[i] = init.z().get(b, g, i);
                        }
                    }
                    for (int t = 0; t < s.length(); t++) {
                        if (bug == Bug.READ_BEFORE_UPDATE) read(p, st, z, out, b, g, t);
                        double[] k = s.featureMap().apply(row(p.key(), b, g, t));
                        double[] v = row(p.value(), b, g, t);
                        double gate = p.gates() == null ? 1 : p.gates().get(b, g, t);
                        for (int i = 0; i < f; i++) {
                            for (int e = 0; e < dv; e++) st[i][e] = gate * st[i][e] + k[i] * v[e];
                            z[i] += k[i];
                        }
                        if (bug != Bug.READ_BEFORE_UPDATE) read(p, st, z, out, b, g, t);
                    }
                    for (int i = 0; i < f; i++) {
                        for (int e = 0; e < dv; e++) next.s().set((float) st[i][e], b, g, i, e);
                        if (next.z() != null) next.z().set((float) z[i], b, g, i);
                    }
                }
            }
            return next;
        }

        private void read(LinearProblem p, double[][] st, double[] z, Tensor out, int b, int g, int t) {
            LinearSpec s = p.spec();
            for (int h = 0; h < s.qHeads(); h++) {
                int kv = bug == Bug.TILED_GQA ? h % s.kvHeads() : s.kvHeadOf(h);
                if (kv != g) continue;
                double[] q = s.featureMap().apply(row(p.query(), b, h, t));
                double den = 0;
                for (int i = 0; i < q.length; i++) den += q[i] * z[i];
                for (int e = 0; e < s.vDim(); e++) {
                    double num = 0;
                    for (int i = 0; i < q.length; i++) num += q[i] * st[i][e];
                    out.set((float) (s.normalized() && bug != Bug.NO_NORMALISER ? num / den : s.effectiveScale() * num), b, h, t, e);
                }
            }
        }

        private static double[] row(Tensor x, int b, int h, int t) {
            double[] r = new double[x.dim(3)];
            for (int j = 0; j < r.length; j++) r[j] = x.get(b, h, t, j);
            return r;
        }
    }

    static final class Contract extends LinearAttentionContract {
        private final LinearAttentionBackend backend;

        Contract(LinearAttentionBackend backend) {
            this.backend = backend;
        }

        @Override
        protected LinearAttentionBackend backend() {
            return backend;
        }
    }

    private static void killed(Bug bug, Consumer<LinearAttentionContract> property, String phrase) {
        Contract contract = new Contract(new Mutant(bug));
        Throwable failure = assertThrows(Throwable.class, () -> property.accept(contract), bug + " survived");
        assertTrue(failure instanceof PropertyFailure || failure instanceof AssertionError,
                () -> "not a property failure: " + failure);
        assertTrue(failure.getMessage().contains(phrase),
                () -> "failure message lacks '" + phrase + "':\n" + failure.getMessage());
    }

    @Test
    void theUnmutatedBackendPassesTheContract() {
        Contract contract = new Contract(new Mutant(Bug.NONE));
        contract.required_L1_output_agrees_with_the_linear_oracle_within_the_tolerance_model();
        contract.required_L4_split_and_resume_with_the_carried_state_equals_one_call();
        contract.required_L5_gqa_equals_mha_with_repeat_interleaved_key_value_heads();
        contract.required_L7_a_state_of_the_wrong_shape_is_a_clear_error();
        contract.required_L7_undeclared_features_are_refused_before_writing();
    }

    @Test
    void readingTheStateBeforeTheUpdateIsCaughtByTheOracle() {
        killed(Bug.READ_BEFORE_UPDATE,
                LinearAttentionContract::required_L1_output_agrees_with_the_linear_oracle_within_the_tolerance_model,
                "expected (oracle)");
    }

    @Test
    void tiledHeadMappingIsCaughtByGqa() {
        killed(Bug.TILED_GQA, LinearAttentionContract::required_L5_gqa_equals_mha_with_repeat_interleaved_key_value_heads,
                "output outside the tolerance model");
    }

    @Test
    void anUncheckedStateShapeIsCaught() {
        killed(Bug.NO_STATE_CHECK, LinearAttentionContract::required_L7_a_state_of_the_wrong_shape_is_a_clear_error,
                "a state of the wrong shape was accepted");
    }

    @Test
    void aWrongStatePositionIsCaught() {
        killed(Bug.WRONG_POSITION,
                LinearAttentionContract::required_L2_the_returned_state_is_the_oracle_state_and_inputs_are_untouched,
                "position is wrong");
    }

    @Test
    void computingAnUndeclaredFeatureIsCaught() {
        killed(Bug.COMPUTES_UNDECLARED,
                LinearAttentionContract::required_L7_undeclared_features_are_refused_before_writing,
                "an undeclared feature was not refused");
    }

    /** The input scale applied twice (x·0.9 instead of x): the estimate of exp(xᵀy) is biased. */
    @Test
    void aMisScaledFeatureMapIsCaughtByUnbiasedness() {
        FavorEstimatorProperties misScaled = new FavorEstimatorProperties() {
            @Override
            protected FeatureMap.Random randomMap(boolean positive, int d, int m, long seed, boolean orthogonal) {
                return positive ? new FeatureMap.PositiveRandom(d, m, seed, orthogonal, 0.9)
                        : new FeatureMap.TrigRandom(d, m, seed, orthogonal, 0.9);
            }
        };
        Throwable failure = assertThrows(Throwable.class, misScaled::stochastic_F1_favor_estimates_of_exp_xy_are_unbiased);
        assertTrue(failure.getMessage().contains("the estimate is biased"), failure::getMessage);
    }

    /** A chunked form that forgets the state at chunk boundaries: only chunk sizes >= S are right. */
    public static final class ForgetfulChunks implements LinearAttentionBackend {
        private final dev.attest.backends.linear.LinearRecurrentBackend inner =
                new dev.attest.backends.linear.LinearRecurrentBackend();
        private final int chunk;

        public ForgetfulChunks(int chunk) {
            this.chunk = chunk;
        }

        @Override public String name() { return "mutant-forgetful-chunks"; }
        @Override public LinearCapabilities capabilities() { return inner.capabilities(); }
        @Override public FeatureMap defaultFeatureMap(int kDim) { return inner.defaultFeatureMap(kDim); }

        @Override
        public java.util.Optional<LinearAttentionBackend> withChunkSize(int chunkSize) {
            return java.util.Optional.of(new ForgetfulChunks(chunkSize));
        }

        @Override
        public LinearState forward(LinearProblem p, Tensor out) {
            LinearState state = p.initialState();
            for (int from = 0; from < p.spec().length(); from += chunk) {
                int to = Math.min(p.spec().length(), from + chunk);
                LinearState next = inner.forward(p.slice(from, to, from == 0 ? state : p.initialState()),
                        LinearProblem.sliceAxis(out, 2, from, to));
                state = next;
            }
            return state;
        }
    }

    @Test
    void aChunkBoundaryThatDropsTheStateIsCaughtByTheChunkSizeProperty() {
        Contract contract = new Contract(new ForgetfulChunks(1000));
        Throwable failure = assertThrows(Throwable.class,
                contract::optional_L3_the_chunk_size_does_not_change_the_result);
        assertTrue(failure.getMessage().contains("changed the result"), failure::getMessage);
    }
}
