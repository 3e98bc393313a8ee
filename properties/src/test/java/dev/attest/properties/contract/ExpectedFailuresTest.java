package dev.attest.properties.contract;

import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Tensor;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Capabilities;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kit's known-failure list: a listed failure is reported as xfail, a listed pass fails as xpass. */
class ExpectedFailuresTest {
    private static final String PROPERTY = "required_S8_two_runs_are_bit_identical";

    private static AttentionContract contract(AttentionBackend backend) {
        return new AttentionContract() {
            @Override
            protected AttentionBackend backend() {
                return backend;
            }

            @Override
            protected Map<String, String> expectedFailures() {
                return Map.of(PROPERTY, "planted: issue #0");
            }
        };
    }

    /** cpu-naive whose every call adds one more ulp-sized drift: two runs never agree bit for bit. */
    private static final class Drifting implements AttentionBackend {
        private final CpuNaiveBackend correct = new CpuNaiveBackend();
        private int calls;

        @Override
        public String name() {
            return "planted-drift";
        }

        @Override
        public Capabilities capabilities() {
            return CpuNaiveBackend.FP32_CAPABILITIES;     // it writes into out.data(), an fp32 array
        }

        @Override
        public void attention(AttentionProblem problem, Tensor out) {
            correct.attention(problem, out);
            float drift = 1e-3f * ++calls;
            out.forEachIndex(i -> out.data()[i] += drift);
        }
    }

    @Test
    void aListedFailureIsAbortedAsXfailWithItsReasonAndCounterexample() {
        TestAbortedException aborted = assertThrows(TestAbortedException.class,
                () -> contract(new Drifting()).required_S8_two_runs_are_bit_identical());
        assertTrue(aborted.getMessage().startsWith("xfail: planted: issue #0"), aborted.getMessage());
        assertTrue(aborted.getMessage().contains("shrunk"), aborted.getMessage());
    }

    @Test
    void aListedPropertyThatPassesFailsAsXpass() {
        AssertionError xpass = assertThrows(AssertionError.class,
                () -> contract(new CpuNaiveBackend()).required_S8_two_runs_are_bit_identical());
        assertTrue(xpass.getMessage().startsWith("xpass: " + PROPERTY), xpass.getMessage());
        assertTrue(xpass.getMessage().contains("remove the expectation"), xpass.getMessage());
    }
}
