package dev.attest.spi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.linear.UpdateRule;
import dev.attest.reference.InvalidProblemException;
import dev.attest.reference.Precision;

/**
 * What a linear-attention backend declares: its forms and options, update rules, feature-map kinds and precision.
 * Capability is data: the linear contract reads it to choose what to generate, and checks both directions.
 */
public record LinearCapabilities(Set<LinearFeature> features, Set<UpdateRule> rules, Set<FeatureMap.Kind> maps,
                                 Precision precision) {

    public LinearCapabilities {
        InvalidProblemException.require(features != null && rules != null && maps != null && precision != null
                && !rules.isEmpty() && !maps.isEmpty(), "linear capabilities need features, at least one rule and "
                + "one feature-map kind, and a precision");
        features = Collections.unmodifiableSet(features.isEmpty() ? EnumSet.noneOf(LinearFeature.class)
                : EnumSet.copyOf(features));
        rules = Collections.unmodifiableSet(EnumSet.copyOf(rules));
        maps = Collections.unmodifiableSet(EnumSet.copyOf(maps));
    }

    public boolean supports(LinearFeature feature) {
        return features.contains(feature);
    }

    /** What {@code problem} needs that is not declared, in words (empty when everything is declared). */
    public List<String> missing(LinearProblem problem) {
        List<String> missing = new ArrayList<>();
        for (LinearFeature f : LinearFeature.requiredBy(problem)) if (!features.contains(f)) missing.add(f.name());
        if (!rules.contains(problem.spec().rule())) missing.add("rule " + problem.spec().rule());
        if (!maps.contains(problem.spec().featureMap().kind())) missing.add("feature map " + problem.spec().featureMap().kind());
        return missing;
    }

    /** Throws {@link UnsupportedLinearFeatureException} naming the backend and everything missing. */
    public void requireAll(String backend, LinearProblem problem) {
        List<String> missing = missing(problem);
        if (!missing.isEmpty()) throw new UnsupportedLinearFeatureException(backend, missing);
    }
}
