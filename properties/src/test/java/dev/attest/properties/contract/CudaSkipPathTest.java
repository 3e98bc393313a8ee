package dev.attest.properties.contract;

import dev.attest.backends.cuda.CudaBackend;
import dev.attest.properties.LaunchedKit;
import dev.attest.properties.LaunchedKit.Outcome;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Backends;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The cuda backend on a machine without CUDA (CI): the conformance kit skips every property with
 * {@code unavailable: <reason>}, and with {@code -Dattest.requireCuda=true} every property fails instead, so a GPU
 * run cannot pass by skipping. Runs the kit through the JUnit Platform launcher and reads the outcomes.
 */
class CudaSkipPathTest {

    /** The kit against the backend as ServiceLoader finds it. */
    static class AsDiscovered extends AttentionContract {
        @Override
        protected AttentionBackend backend() {
            return Backends.byName("cuda");
        }
    }

    /** The kit against the backend with CUDA required (what -Dattest.requireCuda=true does). */
    static class Required extends AttentionContract {
        @Override
        protected AttentionBackend backend() {
            return new CudaBackend(true, null);
        }
    }

    private static String unavailable() {
        Optional<String> reason = new CudaBackend(false, null).unavailableReason();
        assumeTrue(reason.isPresent(), "a CUDA device is usable here: the skip path does not apply");
        return reason.get();
    }

    @Test
    void withoutCudaEveryPropertyIsAbortedAsUnavailable() {
        String reason = unavailable();
        List<Outcome> outcomes = LaunchedKit.run(AsDiscovered.class);
        assertFalse(outcomes.isEmpty(), "the kit ran no properties");
        for (Outcome o : outcomes) {
            assertEquals(TestExecutionResult.Status.ABORTED, o.status(), () -> o.test() + ": " + o.message());
            assertEquals("unavailable: " + reason, o.message(), o.test());
        }
        System.out.println(outcomes.size() + " properties aborted with: unavailable: " + reason);
    }

    @Test
    void withRequireCudaEveryPropertyFails() {
        String reason = unavailable();
        List<Outcome> outcomes = LaunchedKit.run(Required.class);
        assertFalse(outcomes.isEmpty(), "the kit ran no properties");
        for (Outcome o : outcomes) {
            assertEquals(TestExecutionResult.Status.FAILED, o.status(), () -> o.test() + ": " + o.message());
            assertTrue(o.message().contains("-Dattest.requireCuda=true") && o.message().contains(reason),
                    o.test() + ": " + o.message());
        }
    }
}
