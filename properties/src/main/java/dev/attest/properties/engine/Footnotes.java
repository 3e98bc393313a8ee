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
    private static final ThreadLocal<Footnotes> CURRENT = new ThreadLocal<>();

    /** Each distinct (key, value) once, in the order first noted. */
    private final Set<Map.Entry<String, String>> notes = new LinkedHashSet<>();

    private Footnotes() {
    }

    /**
     * Starts collecting for a new attempt and returns the collection it replaces (a property run inside a check
     * has its own), for {@link #restore}.
     */
    static Footnotes start() {
        Footnotes outer = CURRENT.get();
        CURRENT.set(new Footnotes());
        return outer;
    }

    /** The current attempt's footnotes. */
    static List<Map.Entry<String, String>> current() {
        Footnotes current = CURRENT.get();
        return current == null ? List.of() : List.copyOf(current.notes);
    }

    /** Ends the attempt: {@code outer} (what {@link #start} returned) collects again. */
    static void restore(Footnotes outer) {
        if (outer == null) CURRENT.remove();
        else CURRENT.set(outer);
    }

    /** Notes a fact; outside an attempt (a check called directly, not by the runner) it is dropped. */
    static void add(String key, Object value) {
        Footnotes current = CURRENT.get();
        if (current != null) current.notes.add(Map.entry(key, String.valueOf(value)));
    }
}
