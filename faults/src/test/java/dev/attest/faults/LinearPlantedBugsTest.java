package dev.attest.faults;

import dev.attest.faults.PlantedLinearBackend.Bug;
import dev.attest.properties.engine.PropertyFailure;
import dev.attest.properties.linear.LinearAttentionContract;
import org.junit.jupiter.api.Test;

import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The linear kit tests itself: a recurrent backend with one realistic bug planted ({@link PlantedLinearBackend},
 * {@link ForgetfulChunks}) must make a named property fail with a specific phrase in its message. It lives beside
 * the planted backends, which the catalog's linear mutants share, rather than in the kit's module.
 */
class LinearPlantedBugsTest {

    private static void killed(Bug bug, Consumer<LinearAttentionContract> property, String phrase) {
        LinearAttentionContract contract = new MutantKits.Linear(new PlantedLinearBackend(bug));
        Throwable failure = assertThrows(Throwable.class, () -> property.accept(contract), bug + " survived");
        assertTrue(failure instanceof PropertyFailure || failure instanceof AssertionError,
                () -> "not a property failure: " + failure);
        assertTrue(failure.getMessage().contains(phrase),
                () -> "failure message lacks '" + phrase + "':\n" + failure.getMessage());
    }

    @Test
    void theUnmutatedBackendPassesTheContract() {
        LinearAttentionContract contract = new MutantKits.Linear(new PlantedLinearBackend(Bug.NONE));
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

    @Test
    void aChunkBoundaryThatDropsTheStateIsCaughtByTheChunkSizeProperty() {
        LinearAttentionContract contract = new MutantKits.Linear(new ForgetfulChunks(1000));
        Throwable failure = assertThrows(Throwable.class,
                contract::optional_L3_the_chunk_size_does_not_change_the_result);
        assertTrue(failure.getMessage().contains("changed the result"), failure::getMessage);
    }
}
