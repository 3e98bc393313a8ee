package dev.attest.reports;

import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Backends;
import dev.attest.spi.LinearAttentionBackend;
import dev.attest.spi.LinearBackends;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.stream.Collectors;

/**
 * The backends a command runs: third-party jars are added through a {@link URLClassLoader} set as the context
 * class loader (so {@link java.util.ServiceLoader} discovery, in the properties too, sees them), then the names
 * are checked against what was found.
 */
public final class BackendSelection {
    static final String SERVICE = "META-INF/services/" + AttentionBackend.class.getName();
    static final String LINEAR_SERVICE = "META-INF/services/" + LinearAttentionBackend.class.getName();

    private BackendSelection() {
    }

    /** Adds {@code jars} to the context class loader; a missing jar or one with no backend is a usage error. */
    public static void addJars(List<Path> jars) {
        if (jars == null || jars.isEmpty()) return;
        List<URL> urls = new ArrayList<>();
        for (Path jar : jars) {
            checkJar(jar);
            try {
                urls.add(jar.toUri().toURL());
            } catch (MalformedURLException e) {
                throw new UsageException("--jar " + jar + ": " + e.getMessage());
            }
        }
        ClassLoader parent = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(new URLClassLoader("attest-jars", urls.toArray(URL[]::new), parent));
    }

    /** A jar given with --jar: a readable jar with a backend service file, or a one-line usage error. */
    static void checkJar(Path jar) {
        if (!Files.isRegularFile(jar)) throw new UsageException("--jar " + jar + ": no such file");
        try (JarFile file = new JarFile(jar.toFile())) {
            if (file.getEntry(SERVICE) == null && file.getEntry(LINEAR_SERVICE) == null) {
                throw new UsageException("--jar " + jar + ": no backend in it (no " + SERVICE + " entry)");
            }
        } catch (IOException e) {
            throw new UsageException("--jar " + jar + ": not a readable jar (" + e.getMessage() + ")");
        }
    }

    static Set<String> wanted(List<String> names) {
        Set<String> wanted = new LinkedHashSet<>();
        if (names != null) {
            for (String n : names) for (String part : n.split(",")) if (!part.isBlank()) wanted.add(part.trim());
        }
        return wanted;
    }
}
