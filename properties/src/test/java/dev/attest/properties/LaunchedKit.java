package dev.attest.properties;

import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherFactory;

import java.util.ArrayList;
import java.util.List;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/**
 * Runs a test class (a kit bound to a backend) through the JUnit Platform launcher, as a user's build would, and
 * collects each test's outcome: how the kit's self-tests see what JUnit reports, aborts and extensions included.
 */
public final class LaunchedKit {
    private LaunchedKit() {
    }

    /**
     * One test's outcome.
     *
     * @param status  FAILED, ABORTED or SUCCESSFUL; {@code null} when JUnit skipped it without running it
     * @param message the throwable's message, or "" when there was none
     * @param thrown  what the test threw, or {@code null}
     */
    public record Outcome(String test, TestExecutionResult.Status status, String message, Throwable thrown) {
    }

    /**
     * Runs every test of {@code kit} with the system property {@code key} set to {@code value} for the run (as the
     * kill matrix sets attest.tries), restoring its previous value after.
     */
    public static List<Outcome> runWith(String key, String value, Class<?> kit) {
        String before = System.getProperty(key);
        System.setProperty(key, value);
        try {
            return run(kit);
        } finally {
            if (before == null) System.clearProperty(key);
            else System.setProperty(key, before);
        }
    }

    /** Runs every test of {@code kit}. */
    public static List<Outcome> run(Class<?> kit) {
        return run(selectClass(kit));
    }

    /** Runs the selected tests, such as {@code selectMethod(kit, "required_S7_...")}. */
    public static List<Outcome> run(DiscoverySelector... selectors) {
        List<Outcome> outcomes = new ArrayList<>();
        LauncherDiscoveryRequest request = request().selectors(selectors).build();
        LauncherFactory.create().execute(request, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest()) return;
                Throwable thrown = result.getThrowable().orElse(null);
                String message = thrown == null || thrown.getMessage() == null ? "" : thrown.getMessage();
                outcomes.add(new Outcome(id.getDisplayName(), result.getStatus(), message, thrown));
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                if (id.isTest()) outcomes.add(new Outcome(id.getDisplayName(), null, "skipped: " + reason, null));
            }
        });
        return outcomes;
    }
}
