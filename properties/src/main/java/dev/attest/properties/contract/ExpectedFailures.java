package dev.attest.properties.contract;

import dev.attest.reference.ElementType;
import dev.attest.spi.TensorTypes;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Known failures sit beside the backend they belong to (PyTorch OpInfo style), as data: a backend's jar ships
 * {@code META-INF/attest/expected-failures/<backend name>.properties}. The kit reads it whether it runs from a user's
 * test class, the discovered-backends suite or {@code attest check}. Each entry is one {@link ExpectedFailure}:
 *
 * <pre>
 * property = reason                               fails in every element type
 * property@fp16 = reason                          fails in fp16 only (the other declared types must pass)
 * property@bf16/fp8_e4m3/fp8_e4m3/bf16 = reason   Q/K/V/output types; several combinations separated by commas
 * property@fp16.fails-with = phrase               optional: a phrase the failure report must contain
 * </pre>
 */
public final class ExpectedFailures {
    static final String LOCATION = "META-INF/attest/expected-failures/";
    private static final String FAILS_WITH = ".fails-with";

    private ExpectedFailures() {
    }

    /** The known failures of {@code backend}, sorted by property; empty when it ships none. */
    public static List<ExpectedFailure> of(String backend) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) loader = ExpectedFailures.class.getClassLoader();
        String file = LOCATION + backend + ".properties";
        try (InputStream in = loader.getResourceAsStream(file)) {
            if (in == null) return List.of();
            Properties properties = new Properties();
            properties.load(in);
            return parse(properties, file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The entries of one file (named {@code file} in errors). */
    static List<ExpectedFailure> parse(Properties properties, String file) {
        Map<String, String> reasons = new TreeMap<>(), phrases = new TreeMap<>();
        for (String key : properties.stringPropertyNames()) {
            String value = properties.getProperty(key).trim();
            if (key.endsWith(FAILS_WITH)) phrases.put(key.substring(0, key.length() - FAILS_WITH.length()), value);
            else reasons.put(key, value);
        }
        for (String entry : phrases.keySet()) {
            if (!reasons.containsKey(entry)) {
                throw new IllegalStateException(file + " gives '" + entry + FAILS_WITH + "' but no '" + entry + "'");
            }
        }
        List<ExpectedFailure> failures = new ArrayList<>();
        Set<String> whole = new LinkedHashSet<>(), scoped = new LinkedHashSet<>();
        for (Map.Entry<String, String> e : reasons.entrySet()) {
            String key = e.getKey();
            int at = key.indexOf('@');
            String property = at < 0 ? key : key.substring(0, at);
            try {
                Set<TensorTypes> types = at < 0 ? Set.of() : combinations(key.substring(at + 1));
                failures.add(new ExpectedFailure(property, types, phrases.get(key), e.getValue()));
            } catch (IllegalArgumentException bad) {
                throw new IllegalStateException(file + ": " + key + ": " + bad.getMessage(), bad);
            }
            (at < 0 ? whole : scoped).add(property);
        }
        for (String property : whole) {
            if (scoped.contains(property)) {
                throw new IllegalStateException(file + " lists " + property + " both in every type and in some types:"
                        + " keep one");
            }
        }
        return List.copyOf(failures);
    }

    /** "fp16" or "fp16,bf16/fp8_e4m3/fp8_e4m3/bf16": uniform tokens, or Q/K/V/output tokens joined by '/'. */
    static Set<TensorTypes> combinations(String text) {
        Set<TensorTypes> types = new LinkedHashSet<>();
        for (String combination : text.split(",")) {
            String[] tokens = combination.trim().split("/");
            if (tokens.length == 1) {
                types.add(TensorTypes.uniform(type(tokens[0])));
            } else if (tokens.length == 4) {
                types.add(new TensorTypes(type(tokens[0]), type(tokens[1]), type(tokens[2]), type(tokens[3])));
            } else {
                throw new IllegalArgumentException("'" + combination + "' is neither one element type nor four"
                        + " (query/key/value/output)");
            }
        }
        return types;
    }

    private static ElementType type(String token) {
        try {
            return ElementType.valueOf(token.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException unknown) {
            throw new IllegalArgumentException("'" + token + "' is not an element type (fp32, fp16, bf16, fp8_e4m3,"
                    + " fp8_e5m2)");
        }
    }
}
