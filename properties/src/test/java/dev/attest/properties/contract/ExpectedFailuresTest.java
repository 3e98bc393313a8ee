package dev.attest.properties.contract;

import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Capabilities;
import dev.attest.spi.TensorTypes;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kit's known-failure list: a listed failure is reported as xfail, a listed pass fails as xpass; a failure
 * listed in some element types must fail in those, as listed, and pass in the others.
 */
class ExpectedFailuresTest {
    private static final String PROPERTY = "required_S8_two_runs_are_bit_identical";
    private static final TensorTypes FP16 = TensorTypes.uniform(ElementType.FP16);
    private static final ExpectedFailure PLANTED = ExpectedFailure.of(PROPERTY, "planted: issue #0");

    private static AttentionContract contract(AttentionBackend backend, ExpectedFailure known) {
        return new AttentionContract() {
            @Override
            protected AttentionBackend backend() {
                return backend;
            }

            @Override
            protected List<ExpectedFailure> expectedFailures() {
                return List.of(known);
            }
        };
    }

    /**
     * cpu-naive in fp32 and fp16 whose every call in the drifting types adds one more drift: two runs never agree
     * bit for bit there.
     */
    private static final class Drifting implements AttentionBackend {
        private final CpuNaiveBackend correct = new CpuNaiveBackend();
        private final Set<ElementType> drifting;
        private int calls;

        Drifting(ElementType... drifting) {
            this.drifting = Set.of(drifting);
        }

        @Override
        public String name() {
            return "planted-drift";
        }

        @Override
        public Capabilities capabilities() {
            return CpuNaiveBackend.FP32_CAPABILITIES.withTypes(new LinkedHashSet<>(List.of(TensorTypes.FP32, FP16)));
        }

        @Override
        public void attention(AttentionProblem problem, Tensor out) {
            capabilities().require(name(), problem, out);
            correct.attention(problem, out);
            if (!drifting.contains(out.type())) return;
            int drift = ++calls;
            if (out.type() == ElementType.FP32) out.forEachIndex(i -> out.data()[i] += 1e-3f * drift);
            else out.forEachIndex(i -> out.bits16()[i] += (short) drift);      // drift ulps up
        }
    }

    @Test
    void aListedFailureIsAbortedAsXfailWithItsReasonAndCounterexample() {
        TestAbortedException aborted = assertThrows(TestAbortedException.class,
                () -> contract(new Drifting(ElementType.FP32, ElementType.FP16), PLANTED)
                        .required_S8_two_runs_are_bit_identical());
        assertTrue(aborted.getMessage().startsWith("xfail: planted: issue #0"), aborted.getMessage());
        assertTrue(aborted.getMessage().contains("shrunk"), aborted.getMessage());
    }

    @Test
    void aListedPropertyThatPassesFailsAsXpass() {
        AssertionError xpass = assertThrows(AssertionError.class,
                () -> contract(new Drifting(), PLANTED).required_S8_two_runs_are_bit_identical());
        assertTrue(xpass.getMessage().startsWith("xpass: " + PROPERTY), xpass.getMessage());
        assertTrue(xpass.getMessage().contains("remove the expectation"), xpass.getMessage());
    }

    @Test
    void aFailureListedInOneTypeIsXfailThereWithAShrunkCaseOfThatType() {
        TestAbortedException aborted = assertThrows(TestAbortedException.class,
                () -> contract(new Drifting(ElementType.FP16), PLANTED.in(FP16).failingWith("second run differs"))
                        .required_S8_two_runs_are_bit_identical());
        String message = aborted.getMessage();
        assertTrue(message.startsWith("xfail in fp16: planted: issue #0"), message);
        assertTrue(message.contains("subject              : planted-drift in fp16"), message);
        assertTrue(message.lines().anyMatch(l -> l.startsWith("shrunk") && l.contains("types=fp16")), message);
        assertTrue(message.contains("-Dattest.replay="), message);
    }

    @Test
    void aFailureInATypeThatIsNotListedStillFails() {
        AssertionError failure = assertThrows(AssertionError.class,
                () -> contract(new Drifting(ElementType.FP32, ElementType.FP16), PLANTED.in(FP16))
                        .required_S8_two_runs_are_bit_identical());
        assertTrue(failure.getMessage().startsWith("property"), failure.getMessage());
        assertTrue(failure.getMessage().lines().anyMatch(l -> l.startsWith("shrunk") && !l.contains("types=")),
                failure.getMessage());
    }

    @Test
    void aFailureListedInOneTypeThatPassesThereFailsAsXpass() {
        AssertionError xpass = assertThrows(AssertionError.class,
                () -> contract(new Drifting(), PLANTED.in(FP16)).required_S8_two_runs_are_bit_identical());
        assertTrue(xpass.getMessage().startsWith("xpass: " + PROPERTY + " passed in fp16"), xpass.getMessage());
    }

    @Test
    void aListedFailureWhoseReportLacksItsPhraseFailsAsAMismatch() {
        AssertionError mismatch = assertThrows(AssertionError.class,
                () -> contract(new Drifting(ElementType.FP16), PLANTED.in(FP16).failingWith("outside the tolerance"))
                        .required_S8_two_runs_are_bit_identical());
        assertTrue(mismatch.getMessage().startsWith("xfail mismatch: " + PROPERTY + " failed in fp16"),
                mismatch.getMessage());
    }

    @Test
    void theFileFormatNamesTypesAndPhrases() {
        Properties file = new Properties();
        file.setProperty(PROPERTY, "every type");
        file.setProperty("required_S7_agrees_with_the_oracle_within_the_tolerance_model@fp16,bf16/fp8_e4m3/fp8_e4m3/bf16",
                "two combinations");
        file.setProperty("required_S7_agrees_with_the_oracle_within_the_tolerance_model@fp16,bf16/fp8_e4m3/fp8_e4m3/bf16"
                + ".fails-with", "non-finite");
        List<ExpectedFailure> parsed = ExpectedFailures.parse(file, "test.properties");
        assertEquals(List.of(
                new ExpectedFailure("required_S7_agrees_with_the_oracle_within_the_tolerance_model",
                        Set.of(FP16, TensorTypes.withCache(ElementType.BF16, ElementType.FP8_E4M3)), "non-finite",
                        "two combinations"),
                ExpectedFailure.of(PROPERTY, "every type")), parsed);
    }

    @Test
    void aMalformedFileIsAClearError() {
        for (String[] bad : new String[][]{{"required_S7_x@fp17", "unknown type", "fp17"},
                {"required_S7_x@fp16/fp16", "two types", "neither one element type nor four"},
                {"S7_x", "not a property", "not a property of the kit"},
                {"required_S7_x@fp16.fails-with", "phrase without entry", "but no"}}) {
            Properties file = new Properties();
            file.setProperty(bad[0], bad[1]);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> ExpectedFailures.parse(file, "test.properties"), bad[1]);
            assertTrue(e.getMessage().contains(bad[2]), e.getMessage());
        }
        Properties both = new Properties();
        both.setProperty(PROPERTY, "every type");
        both.setProperty(PROPERTY + "@fp16", "fp16");
        assertTrue(assertThrows(IllegalStateException.class, () -> ExpectedFailures.parse(both, "test.properties"))
                .getMessage().contains("keep one"));
    }
}
