package dev.attest.properties.contract;

import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.properties.engine.PropertyFailure;
import dev.attest.properties.cases.AttentionCase;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.Mask;
import dev.attest.reference.Tensor;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Capabilities;
import dev.attest.spi.Feature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kit tests itself (STYLE.md, Reactive Streams TCK): backends with one realistic bug each must make a named
 * property fail, with a specific phrase in the message, and the shrunk counterexample must be small. A property
 * that lets its planted bug through fails this test. The catalog of realistic bugs and the kill matrix live in
 * the {@code faults} module ({@code dev.attest.faults}, KillMatrixTest); what stays here checks what the matrix
 * does not: shrinking to a minimal case, capability honesty and a crashing backend.
 */
class PlantedBugsTest {

    /**
     * A correct backend (cpu-naive) with one bug planted in front of it. Unlike the catalog's
     * {@code dev.attest.faults.SoftmaxMutants.Wrapped} it does not check capabilities itself, so a planted backend
     * can lie about them.
     */
    private abstract static class Planted implements AttentionBackend {
        final CpuNaiveBackend correct = new CpuNaiveBackend();
        private final String name;

        Planted(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Capabilities capabilities() {
            return dev.attest.backends.naive.CpuNaiveBackend.FP32_CAPABILITIES;    // the mutants read fp32 arrays
        }

        @Override
        public void layer(LayerProblem problem, Tensor out) {
            correct.layer(problem, out);
        }
    }


    private static PropertyFailure killed(AttentionBackend mutant, java.util.function.Consumer<AttentionContract> property,
                                          String... phrases) {
        ContractOf contract = new ContractOf(mutant);
        Executable run = () -> property.accept(contract);
        PropertyFailure failure = assertThrows(PropertyFailure.class, run, mutant.name() + " survived");
        for (String phrase : phrases) {
            assertTrue(failure.getMessage().contains(phrase),
                    () -> "failure message lacks '" + phrase + "':\n" + failure.getMessage());
        }
        return failure;
    }

    /**
     * Heads and sequence axes transposed after the fused reshape: the (B, S, H*D) projection read as if it were
     * (B, H, S, D). Seen in hand-written multi-head attention ports (a missing transpose(1, 2) after view()).
     */
    @Test
    void heads_and_sequence_axes_swapped_are_caught_by_the_oracle_and_by_the_token_property() {
        AttentionBackend swapped = new Planted("planted-heads-tokens-swapped") {
            @Override
            public void attention(AttentionProblem p, Tensor out) {
                correct.attention(new AttentionProblem(p.spec(), swapAxes(p.query()), swapAxes(p.key()),
                        swapAxes(p.value()), p.mask(), p.keyLengths()), out);
            }
        };
        PropertyFailure failure = killed(swapped, AttentionContract::required_S7_agrees_with_the_oracle_within_the_tolerance_model,
                "outside the tolerance model", "worst element", "reproduce", "planted-heads-tokens-swapped");
        String shrunk = String.valueOf(failure.shrunk());
        assertTrue(shrunk.contains("B=1") && shrunk.contains("Hq=2"), () -> "not shrunk to a minimal case: " + shrunk);
        System.out.println("Planted bug: heads and sequence axes swapped\n" + failure.getMessage());
        killed(swapped, AttentionContract::required_S3_perturbing_token_j_changes_only_outputs_allowed_to_see_it,
                "changed an output that may not see it");
    }

    /** Reads a dense (B, H, S, D) buffer as if it were laid out (B, S, H, D): the classic missing transpose. */
    private static Tensor swapAxes(Tensor t) {
        Tensor dense = t.copy();
        int h = t.dim(1), s = t.dim(2), d = t.dim(3);
        return Tensor.view(dense.data(), 0, t.shape(), new int[]{h * s * d, d, h * d, 1});
    }

    /** A backend that computes softcap but does not declare it: a capability lie. */
    @Test
    void an_undeclared_feature_that_is_accepted_is_caught() {
        AttentionBackend liar = new Planted("planted-capability-liar") {
            @Override
            public Capabilities capabilities() {
                EnumSet<Feature> features = EnumSet.allOf(Feature.class);
                features.remove(Feature.SOFTCAP);
                // it returns no auxiliary outputs (and says so): the lie under test is softcap's alone
                features.removeAll(EnumSet.of(Feature.LOG_SUM_EXP, Feature.ATTENTION_SCORES));
                return new Capabilities(features, correct.capabilities().precision());
            }

            @Override
            public void attention(AttentionProblem p, Tensor out) {
                correct.attention(p, out);
            }
        };
        AssertionError failure = assertThrows(AssertionError.class,
                () -> new ContractOf(liar).required_S8_capabilities_are_honest_in_both_directions());
        assertTrue(failure.getMessage().contains("SOFTCAP is not declared but was accepted"), failure::getMessage);
    }

    /** A backend that crashes: the failure names the backend, the exception and the case, and shrinks it. */
    @Test
    void a_backend_that_throws_fails_with_its_exception_and_a_shrunk_case() {
        AttentionBackend crashing = new Planted("planted-index-crash") {
            @Override
            public void attention(AttentionProblem p, Tensor out) {
                if (p.spec().qLength() > 3) throw new ArrayIndexOutOfBoundsException("Index 4 out of bounds for length 4");
                correct.attention(p, out);
            }
        };
        PropertyFailure failure = killed(crashing, AttentionContract::required_S7_agrees_with_the_oracle_within_the_tolerance_model,
                "planted-index-crash", "ArrayIndexOutOfBoundsException", "Sq=4");
        assertTrue(failure.getCause() instanceof ArrayIndexOutOfBoundsException, "the crash is kept as the cause");
    }

    /**
     * A bias of shape (Sq, 1) not broadcast over the keys: only key 0 gets it (a stride-0 axis read as "no bias").
     * The property adds that bias itself, so the drawn case (and its "shrunk" line) has no mask at all: the failure
     * block must show the problem the backend was given, bias included.
     */
    @Test
    void a_bias_the_property_adds_is_shown_as_given_to_the_backend() {
        AttentionBackend unbroadcast = new Planted("planted-row-bias-on-key-0-only") {
            @Override
            public void attention(AttentionProblem p, Tensor out) {
                if (!(p.mask() instanceof Mask.Bias bias) || bias.shape()[bias.shape().length - 1] != 1) {
                    correct.attention(p, out);
                    return;
                }
                int sq = p.spec().qLength(), skv = p.spec().kvLength();
                float[] full = new float[sq * skv];
                for (int i = 0; i < sq; i++) full[i * skv] = bias.bias()[i];
                correct.attention(p.with(p.spec(), new Mask.Bias(full, new int[]{sq, skv}), p.keyLengths()), out);
            }
        };
        PropertyFailure failure = killed(unbroadcast,
                AttentionContract::required_S2_adding_a_constant_to_every_logit_of_a_row_changes_nothing,
                "outside the tolerance model");
        String shrunk = String.valueOf(failure.shrunk());
        assertFalse(shrunk.contains("mask="), () -> "the drawn case has no mask: " + shrunk);
        java.util.regex.Matcher given = java.util.regex.Pattern.compile("(?m)^given to the backend +: (.*)$")
                .matcher(failure.getMessage());
        assertTrue(given.find(), failure::getMessage);
        assertTrue(given.group(1).contains("mask=bias[" + ((AttentionCase) failure.shrunk()).qLength() + ", 1]"),
                failure::getMessage);
        System.out.println("Planted bug: row bias on key 0 only\n" + failure.getMessage());
    }
}
