package dev.attest.faults;

import java.util.List;

import static dev.attest.faults.Mutant.Kit.LINEAR;

/**
 * The linear-attention half of the planted-bug catalog: {@link PlantedLinearBackend} (a plain recurrent backend
 * with one bug) and {@link ForgetfulChunks} (a chunked form that forgets), which the linear kit's self-test shares.
 */
public final class LinearMutants {
    private LinearMutants() {
    }

    public static List<Mutant> catalog() {
        return List.of(
                new Mutant("linear-chunks-forget-state",
                        "linear attention in chunks of 4 that does not carry the state across chunk boundaries",
                        "https://github.com/fla-org/flash-linear-attention/issues/285 (chunked forward with past state differs from one pass)",
                        LINEAR, () -> new ForgetfulChunks(4),
                        "required_L1_output_agrees_with_the_linear_oracle_within_the_tolerance_model", "expected (oracle)"),
                new Mutant("linear-ignores-carried-state",
                        "linear attention that ignores the state carried in from a previous call (split and resume)",
                        "https://github.com/fla-org/flash-linear-attention/issues/351 (initial_state accepted but not honoured)",
                        LINEAR, () -> new PlantedLinearBackend(PlantedLinearBackend.Bug.IGNORES_CARRIED_STATE),
                        "required_L4_split_and_resume_with_the_carried_state_equals_one_call", "output outside the tolerance model"),
                new Mutant("linear-no-normaliser",
                        "normalised linear attention that forgets to divide by the normaliser q·z",
                        "not located",
                        LINEAR, () -> new PlantedLinearBackend(PlantedLinearBackend.Bug.NO_NORMALISER),
                        "required_L1_output_agrees_with_the_linear_oracle_within_the_tolerance_model", "expected (oracle)"));
    }
}
