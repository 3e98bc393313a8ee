package dev.attest.spi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Instantiates the providers of a backend SPI. With the system property {@value #ONLY_PROPERTY} set (class names,
 * comma-separated) only those providers are instantiated: a worker JVM that runs one backend must not run the
 * constructor of another, which may be the one that exits, hangs or crashes.
 */
final class Providers {
    /** Provider classes to instantiate (all when absent). */
    static final String ONLY_PROPERTY = "attest.providers";

    private Providers() {
    }

    static <T> List<T> load(Class<T> spi, ClassLoader loader, String what) {
        String only = System.getProperty(ONLY_PROPERTY);
        Set<String> wanted = only == null ? null
                : Arrays.stream(only.split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
        List<T> found = new ArrayList<>();
        try {
            ServiceLoader.load(spi, loader).stream()
                    .filter(p -> wanted == null || wanted.contains(p.type().getName()))
                    .forEach(p -> found.add(p.get()));
        } catch (ServiceConfigurationError e) {
            throw new IllegalStateException("a " + what + " provider could not be loaded: " + e.getMessage(), e);
        }
        return found;
    }
}
