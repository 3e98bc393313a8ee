package dev.attest.properties.contract;

import dev.attest.spi.TensorTypes;

import java.util.Set;

/**
 * One known failure of a backend (PyTorch OpInfo's xfail): the property, the combinations of element types it fails
 * in, a phrase its failure report must contain, and why it fails. The kit runs the property in the listed types
 * expecting it to fail, and in every other declared type expecting it to pass: a listed failure that starts passing,
 * or fails with a report that lacks the phrase, fails the run, so the list cannot go stale.
 *
 * @param property  the property's method name ({@code required_...} or {@code optional_...})
 * @param types     the combinations it fails in; empty: every combination, and then the property runs once, as a
 *                  whole, as before element types existed
 * @param failsWith a phrase the failure report must contain (the judge's words, such as {@code non-finite output
 *                  where the oracle is finite}), or null to accept any failure
 * @param reason    why: the backend's version, the counterexample, and a link to the issue or source line
 */
public record ExpectedFailure(String property, Set<TensorTypes> types, String failsWith, String reason) {

    public ExpectedFailure {
        if (property == null || !(property.startsWith("required_") || property.startsWith("optional_"))) {
            throw new IllegalArgumentException("'" + property + "' is not a property of the kit");
        }
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("the expected failure of " + property + " needs a reason");
        }
        types = Set.copyOf(types);
    }

    /** {@code property} fails in every element type, for {@code reason}. */
    public static ExpectedFailure of(String property, String reason) {
        return new ExpectedFailure(property, Set.of(), null, reason);
    }

    /** The same failure, in {@code combinations} only. */
    public ExpectedFailure in(TensorTypes... combinations) {
        return new ExpectedFailure(property, Set.of(combinations), failsWith, reason);
    }

    /** The same failure, whose report must contain {@code phrase}. */
    public ExpectedFailure failingWith(String phrase) {
        return new ExpectedFailure(property, types, phrase, reason);
    }

    /** Whether the failure is known only in some element types. */
    public boolean scoped() {
        return !types.isEmpty();
    }

    /** " in fp16" (the listed types, sorted), or "" for a failure in every type. */
    String where() {
        return types.isEmpty() ? "" : " in " + String.join(", ", types.stream().map(TensorTypes::toString).sorted()
                .toList());
    }
}
