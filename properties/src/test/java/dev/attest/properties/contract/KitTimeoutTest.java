package dev.attest.properties.contract;

import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.properties.LaunchedKit;
import dev.attest.properties.engine.PropertyTimeout;
import dev.attest.properties.linear.LinearAttentionContract;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Tensor;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Capabilities;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.engine.TestExecutionResult.Status;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

/** Both kits take their per-property limit from {@code -Dattest.timeout}: a hanging backend fails, it is not waited on. */
class KitTimeoutTest {
    private static volatile boolean release;

    /** cpu-naive's capabilities, but every call hangs until the test releases it. */
    static final class Hanging implements AttentionBackend {
        @Override
        public String name() {
            return "hanging";
        }

        @Override
        public Capabilities capabilities() {
            return new CpuNaiveBackend().capabilities();
        }

        @Override
        public void attention(AttentionProblem problem, Tensor out) {
            while (!release) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ignored) {
                    // ignores the interrupt, as a stuck native call would
                }
            }
        }
    }

    static final class HangingKit extends AttentionContract {
        @Override
        protected AttentionBackend backend() {
            return new Hanging();
        }
    }

    @Test
    void aHangingBackendFailsTheKitsPropertyAtTheConfiguredLimit() {
        release = false;
        System.setProperty(PropertyTimeout.PROPERTY, "2");
        try {
            long start = System.nanoTime();
            List<LaunchedKit.Outcome> outcomes = LaunchedKit.run(selectMethod(HangingKit.class,
                    "required_S7_agrees_with_the_oracle_within_the_tolerance_model"));
            assertTrue((System.nanoTime() - start) / 1e9 < 30, "the kit waited on the hang");
            assertEquals(1, outcomes.size(), outcomes::toString);
            assertEquals(Status.FAILED, outcomes.getFirst().status());
            assertEquals("timeout: the property did not finish within 2 s (attest.timeout)",
                    outcomes.getFirst().message());
        } finally {
            System.clearProperty(PropertyTimeout.PROPERTY);
            release = true;
        }
    }

    @Test
    void bothKitsUseTheSettableLimit() {
        for (Class<?> kit : List.of(AttentionContract.class, LinearAttentionContract.class)) {
            ExtendWith extensions = kit.getAnnotation(ExtendWith.class);
            assertTrue(extensions != null && Arrays.asList(extensions.value()).contains(PropertyTimeout.class),
                    kit.getSimpleName() + " does not register PropertyTimeout");
            assertEquals(null, kit.getAnnotation(org.junit.jupiter.api.Timeout.class),
                    kit.getSimpleName() + " still has a fixed @Timeout");
        }
    }
}
