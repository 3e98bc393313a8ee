package dev.attest.properties.contract;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Known failures sit beside the backend they belong to (PyTorch OpInfo style), as data: a backend's jar ships
 * {@code META-INF/attest/expected-failures/<backend name>.properties} mapping property names to reasons. The kit
 * reads it whether it runs from a user's test class, the discovered-backends suite or {@code attest check}.
 */
public final class ExpectedFailures {
    static final String LOCATION = "META-INF/attest/expected-failures/";

    private ExpectedFailures() {
    }

    /** The known failures of {@code backend} (property name -> reason), empty when it ships none. */
    public static Map<String, String> of(String backend) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) loader = ExpectedFailures.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(LOCATION + backend + ".properties")) {
            if (in == null) return Map.of();
            Properties properties = new Properties();
            properties.load(in);
            Map<String, String> failures = new TreeMap<>();
            for (String name : properties.stringPropertyNames()) {
                if (!name.startsWith("required_") && !name.startsWith("optional_")) {
                    throw new IllegalStateException(LOCATION + backend + ".properties names '" + name
                            + "', which is not a property of the kit");
                }
                failures.put(name, properties.getProperty(name).trim());
            }
            return Map.copyOf(failures);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + LOCATION + backend + ".properties", e);
        }
    }
}
