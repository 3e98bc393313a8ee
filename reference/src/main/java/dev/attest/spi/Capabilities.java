package dev.attest.spi;

import dev.attest.reference.InvalidProblemException;
import dev.attest.reference.Precision;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * What a backend declares it supports: contract features and arithmetic precision. Capability is data (PyTorch
 * OpInfo style): the suite reads it to decide which properties apply, and checks it in both directions —
 * declared features must work, undeclared ones must be refused.
 *
 * @param features  the contract features the backend implements
 * @param precision the precision of its arithmetic; the tolerance model's baseline uses the same precision
 */
public record Capabilities(Set<Feature> features, Precision precision) {

    public Capabilities {
        InvalidProblemException.require(features != null && precision != null,
                "capabilities need a feature set and a precision");
        features = features.isEmpty() ? Collections.unmodifiableSet(EnumSet.noneOf(Feature.class))
                : Collections.unmodifiableSet(EnumSet.copyOf(features));
    }

    /** Every feature of the contract, in the given precision. */
    public static Capabilities everything(Precision precision) {
        return new Capabilities(EnumSet.allOf(Feature.class), precision);
    }

    public boolean supports(Feature feature) {
        return features.contains(feature);
    }

    /** The required features this backend lacks (empty when it supports them all). */
    public Set<Feature> missing(Set<Feature> required) {
        Set<Feature> missing = EnumSet.noneOf(Feature.class);
        for (Feature f : required) if (!features.contains(f)) missing.add(f);
        return missing;
    }

    /** Throws {@link UnsupportedFeatureException} naming the backend and every missing feature. */
    public void requireAll(String backend, Set<Feature> required) {
        Set<Feature> missing = missing(required);
        if (!missing.isEmpty()) throw new UnsupportedFeatureException(backend, missing);
    }
}
