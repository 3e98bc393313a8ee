package dev.attest.properties.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A block of aligned key/value facts, the format of every Attest failure message (after Truth's {@code Fact}):
 *
 * <pre>
 * backend  : cpu-naive
 * expected : 1.0
 * but was  : 1.5
 * </pre>
 *
 * <p>Keys are padded to a common width so that the values line up in one column and can be read at a glance. A
 * multi-line value (a nested fact block, a matrix) keeps its own layout: its later lines are indented to the value
 * column. The format is pinned by {@code FactsTest}, since tools and people read it.
 *
 * <p>A {@code Facts} is a mutable builder; {@link #add} returns it for chaining.
 */
public final class Facts {

    private static final String SEPARATOR = " : ";

    private final List<String> keys = new ArrayList<>();
    private final List<String> values = new ArrayList<>();

    private Facts() {
    }

    /** An empty block. */
    public static Facts of() {
        return new Facts();
    }

    /** Appends a fact; {@code value} is shown with {@link String#valueOf(Object)}. Keys may repeat. */
    public Facts add(String key, Object value) {
        Objects.requireNonNull(key, "key");
        if (key.contains("\n")) {
            throw new IllegalArgumentException("a fact key must be one line: " + key);
        }
        keys.add(key);
        values.add(String.valueOf(value));
        return this;
    }

    /** Appends every fact of {@code other}, in order. */
    public Facts addAll(Facts other) {
        keys.addAll(other.keys);
        values.addAll(other.values);
        return this;
    }

    /** The number of facts. */
    public int size() {
        return keys.size();
    }

    /**
     * The aligned block: one line per fact, {@code key + padding + " : " + value}, no trailing newline. Lines of a
     * multi-line value after the first are indented to the value column; trailing spaces are never written.
     */
    @Override
    public String toString() {
        int width = keys.stream().mapToInt(String::length).max().orElse(0);
        String indent = " ".repeat(width + SEPARATOR.length());
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < keys.size(); i++) {
            if (i > 0) {
                out.append('\n');
            }
            String[] lines = values.get(i).split("\r?\n", -1);
            out.append((keys.get(i) + " ".repeat(width - keys.get(i).length()) + SEPARATOR + lines[0]).stripTrailing());
            for (int j = 1; j < lines.length; j++) {
                out.append('\n').append((indent + lines[j]).stripTrailing());
            }
        }
        return out.toString();
    }
}
