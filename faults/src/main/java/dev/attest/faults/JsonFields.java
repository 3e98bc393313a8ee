package dev.attest.faults;

import tools.jackson.databind.JsonNode;

import java.util.function.BiConsumer;

/**
 * Field checks on a JSON tree that name the file and the path of what is missing or of the wrong type, so that a
 * reader refuses an incomplete file in one line instead of letting the data binder default a field to zero, false
 * or empty. Used by {@link KillMatrixFiles} and by report.json's reader.
 *
 * @param name the file (or section) the messages start with
 */
public record JsonFields(String name) {

    /** {@code parent.key} (a name, or an index when {@code key} is an Integer): an object. */
    public JsonNode object(JsonNode parent, Object key, String path) {
        JsonNode n = get(parent, key);
        return require(n, path, "an object", n != null && n.isObject());
    }

    public JsonNode array(JsonNode parent, String key, String path) {
        JsonNode n = parent.get(key);
        return require(n, path, "an array", n != null && n.isArray());
    }

    public void string(JsonNode parent, String key, String path) {
        JsonNode n = parent.get(key);
        require(n, path, "a string", n != null && n.isString());
    }

    /**
     * A number, or an infinity as the writer spells it ({@code "Infinity"}, {@code "-Infinity"}: JSON has no literal
     * for it, and an error figure is infinite when a backend wrote NaN where the oracle is finite). NaN is refused.
     */
    public void number(JsonNode parent, String key, String path) {
        JsonNode n = parent.get(key);
        require(n, path, "a number", n != null && (n.isNumber() || n.isString()
                && (n.stringValue().equals("Infinity") || n.stringValue().equals("-Infinity"))));
    }

    public void bool(JsonNode parent, String key, String path) {
        JsonNode n = parent.get(key);
        require(n, path, "true or false", n != null && n.isBoolean());
    }

    /** {@code parent.key} for each key, each a string; {@code at} is the path of {@code parent}. */
    public void strings(JsonNode parent, String at, String... keys) {
        for (String key : keys) string(parent, key, at + "." + key);
    }

    /** {@code parent.key} for each key, each a number; {@code at} is the path of {@code parent}. */
    public void numbers(JsonNode parent, String at, String... keys) {
        for (String key : keys) number(parent, key, at + "." + key);
    }

    /** A field that may be null but must be there: writers always write it, so its absence means a cut file. */
    public JsonNode present(JsonNode parent, String key, String path) {
        JsonNode n = parent.get(key);
        if (n == null) throw new IllegalArgumentException(name + ": field " + path + " is missing");
        return n;
    }

    /** {@code check} on every element of the array {@code parent.key}, each an object, with its path. */
    public void each(JsonNode parent, String key, BiConsumer<JsonNode, String> check) {
        JsonNode array = array(parent, key, key);
        for (int i = 0; i < array.size(); i++) check.accept(object(array, i, key + "[" + i + "]"), key + "[" + i + "]");
    }

    private static JsonNode get(JsonNode parent, Object key) {
        return key instanceof Integer i ? parent.get(i) : parent.get((String) key);
    }

    private JsonNode require(JsonNode node, String path, String kind, boolean ok) {
        if (node == null || node.isNull()) throw new IllegalArgumentException(name + ": field " + path + " is missing");
        if (!ok) throw new IllegalArgumentException(name + ": field " + path + " is " + node + ", expected " + kind);
        return node;
    }
}
