package dev.attest.properties.contract;

import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Feature;
import org.junit.jupiter.api.Assumptions;

import java.util.Set;

/**
 * The kit's last line of honesty: before a property hands the backend a problem, the features that problem uses
 * must all be declared. Properties draw only declared cases and abort up front for what they cannot do without;
 * this guard catches the rest (a finishing step that forces a feature, a transformation that adds one), so a
 * backend is never blamed for refusing a feature it never claimed. The property is aborted as
 * {@code unsupported: ...}, which JUnit reports as skipped, never as passed.
 */
final class Declared {
    private Declared() {
    }

    /** Aborts with {@code unsupported:} unless {@code backend} declares every feature in {@code needed}. */
    static void require(AttentionBackend backend, Set<Feature> needed, Object given) {
        Set<Feature> missing = backend.capabilities().missing(needed);
        if (!missing.isEmpty()) {
            Assumptions.abort("unsupported: " + backend.name() + " does not declare " + missing
                    + ", which this property needs (it would be given " + given + ")");
        }
    }

    /** Aborts with {@code unsupported:} unless {@code backend} declares the element types {@code needed}. */
    static void requireTypes(AttentionBackend backend, dev.attest.spi.TensorTypes needed, Object given) {
        if (!backend.capabilities().supports(needed)) {
            Assumptions.abort("unsupported: " + backend.name() + " does not declare element types " + needed
                    + " (it would be given " + given + ")");
        }
    }
}
