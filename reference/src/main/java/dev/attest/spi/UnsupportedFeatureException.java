package dev.attest.spi;

import java.util.Set;

/**
 * A backend was asked for a feature it does not declare. Thrown before any output is written, so a refused call
 * leaves the output buffer untouched. The suite turns it into "unsupported", never into a pass.
 */
public class UnsupportedFeatureException extends UnsupportedOperationException {
    private static final long serialVersionUID = 1L;
    private final transient Set<Feature> features;

    public UnsupportedFeatureException(String backend, Set<Feature> features) {
        super("backend " + backend + " does not support " + features + " (not in its declared capabilities)");
        this.features = Set.copyOf(features);
    }

    /** A refusal that is not about features (an element type), with its own message. */
    public UnsupportedFeatureException(String message) {
        super(message);
        this.features = Set.of();
    }

    public Set<Feature> features() {
        return features;
    }
}
