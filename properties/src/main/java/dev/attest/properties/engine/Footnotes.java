package dev.attest.properties.engine;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Facts a check notes about the value it is checking (see {@link Cases#footnote}), kept per thread for the one
 * attempt the runner is making. A failure report prints the shrunk value's footnotes under its description: a
 * property that adds a mask, a bias or padding to the drawn case can so show the problem it actually ran.
 */
final class Footnotes {
    private static final ThreadLocal<Set<Map.Entry<String, String>>> CURRENT = new ThreadLocal<>();

    private Footnotes() {
    }

    /** Starts collecting for a new attempt, dropping whatever an earlier attempt left. */
    static void start() {
        CURRENT.set(new LinkedHashSet<>());
    }

    /** Ends the attempt and returns its footnotes in the order noted, each distinct (key, value) once. */
    static List<Map.Entry<String, String>> finish() {
        Set<Map.Entry<String, String>> notes = CURRENT.get();
        CURRENT.remove();
        return notes == null ? List.of() : List.copyOf(notes);
    }

    /** Notes a fact; outside an attempt (a check called directly, not by the runner) it is dropped. */
    static void add(String key, Object value) {
        Set<Map.Entry<String, String>> notes = CURRENT.get();
        if (notes != null) notes.add(Map.entry(key, String.valueOf(value)));
    }
}
