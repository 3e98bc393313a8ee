package dev.attest.faults;

import java.util.function.Supplier;

/**
 * One entry of the planted-bug catalog: a correct backend with one realistic bug, what the bug is, where a bug
 * like it has been reported publicly, and which kit judges it.
 *
 * @param id             a stable, kebab-case name (also the backend's name)
 * @param description    the bug in one line
 * @param reportedAt     a public reference (issue, pull request, paper) for a bug of this kind, or "not located"
 * @param kit            the conformance kit whose properties must kill it
 * @param backend        creates the mutant: an {@code AttentionBackend} (SOFTMAX) or a
 *                       {@code LinearAttentionBackend} (LINEAR)
 * @param expectedKiller the property that must be among its killers (the catalog's pinned check), or null
 * @param phrase         a phrase that property's failure message must contain, or null
 */
public record Mutant(String id, String description, String reportedAt, Kit kit, Supplier<Object> backend,
                     String expectedKiller, String phrase) {

    /** Which kit judges a mutant. */
    public enum Kit { SOFTMAX, LINEAR }

    public Mutant {
        if (id == null || description == null || reportedAt == null || kit == null || backend == null) {
            throw new IllegalArgumentException("incomplete catalog entry: " + id);
        }
    }
}
