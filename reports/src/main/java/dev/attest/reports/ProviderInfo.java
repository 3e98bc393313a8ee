package dev.attest.reports;

import java.util.List;

/**
 * A backend provider as a discovery worker found it, so that the supervising CLI knows every backend without running
 * any backend's code itself. {@code name} is null until the provider was instantiated; {@code error} says why it
 * could not be.
 *
 * @param features the declared {@link dev.attest.spi.Feature}s (names), for skipping workloads a backend does not
 *                 declare before any worker is started for them
 */
public record ProviderInfo(String className, boolean linear, String name, String description, String precision,
                           String unavailableReason, List<String> features, String error, String device) {
    public ProviderInfo(String className, boolean linear, String name, String description, String precision,
                        String unavailableReason, List<String> features, String error) {
        this(className, linear, name, description, precision, unavailableReason, features, error, "cpu");
    }

    public boolean available() {
        return unavailableReason == null;
    }
}
