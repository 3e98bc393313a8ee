package dev.attest.properties.linear;

import dev.attest.backends.linear.LinearRecurrentBackend;
import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.linear.LinearState;
import dev.attest.linear.UpdateRule;
import dev.attest.properties.LaunchedKit;
import dev.attest.properties.LaunchedKit.Outcome;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import dev.attest.spi.CheckedLinearBackend;
import dev.attest.spi.LinearAttentionBackend;
import dev.attest.spi.LinearCapabilities;
import dev.attest.spi.LinearFeature;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult.Status;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Honest minimal linear backends through the whole linear kit: the recurrent reference behind a small declaration,
 * refusing the rest ({@link CheckedLinearBackend}). No property may fail; the ones named run and pass, every other
 * one is aborted {@code unsupported:}.
 */
class MinimalLinearBackendTest {

    /** linear-recurrent behind a declaration of {@code capabilities} only. */
    static final class Minimal extends CheckedLinearBackend {
        private final LinearRecurrentBackend full = new LinearRecurrentBackend();

        Minimal(Set<LinearFeature> features) {
            super("minimal-linear", "linear-recurrent declaring only " + features, new LinearCapabilities(features,
                    EnumSet.of(UpdateRule.LINEAR), EnumSet.of(FeatureMap.Kind.IDENTITY), Precision.FP32));
        }

        @Override
        public FeatureMap defaultFeatureMap(int kDim) {
            return new FeatureMap.Identity(kDim);
        }

        @Override
        protected LinearState compute(LinearProblem problem, Tensor out) {
            return full.forward(problem, out);
        }
    }

    /** Causal, unnormalised, the linear rule, the identity map: no state, GQA or chunk knob. */
    static final class Plain extends LinearAttentionContract {
        @Override
        protected LinearAttentionBackend backend() {
            return new Minimal(EnumSet.of(LinearFeature.CAUSAL, LinearFeature.UNNORMALIZED));
        }
    }

    /** NORMALIZED declared, but no strictly positive map to normalise with: L6 has no case to draw. */
    static final class NormalisedWithoutPositiveMap extends LinearAttentionContract {
        @Override
        protected LinearAttentionBackend backend() {
            return new Minimal(EnumSet.of(LinearFeature.CAUSAL, LinearFeature.NORMALIZED, LinearFeature.UNNORMALIZED));
        }
    }

    private static final List<String> RUNS = List.of(
            "required_L1_output_agrees_with_the_linear_oracle_within_the_tolerance_model",
            "required_L2_the_returned_state_is_the_oracle_state_and_inputs_are_untouched",
            "required_L7_undeclared_features_are_refused_before_writing");

    @Test
    void theSmallestDeclaration() {
        check(Plain.class);
    }

    @Test
    void normalisedWithoutAPositiveFeatureMap() {
        check(NormalisedWithoutPositiveMap.class);
    }

    private static void check(Class<? extends LinearAttentionContract> kit) {
        List<Outcome> outcomes = LaunchedKit.runWith("attest.tries", "15", kit);
        assertFalse(outcomes.isEmpty(), "the kit ran no properties");
        List<String> wrong = new ArrayList<>();
        for (Outcome o : outcomes) {
            String name = o.test().replace("()", "");
            if (RUNS.contains(name) && o.status() != Status.SUCCESSFUL) {
                wrong.add(name + " should run and pass, but was " + o.status() + ":\n" + o.message());
            } else if (!RUNS.contains(name) && (o.status() != Status.ABORTED || !o.message().startsWith("unsupported:"))) {
                wrong.add(name + " should be unsupported, but was " + o.status() + ":\n" + o.message());
            }
        }
        assertTrue(wrong.isEmpty(), () -> kit.getSimpleName() + ":\n" + String.join("\n\n", wrong));
    }
}
