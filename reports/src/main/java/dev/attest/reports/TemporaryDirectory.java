package dev.attest.reports;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A flat temporary directory for files handed between JVMs, deleted (best effort) when closed. */
record TemporaryDirectory(Path path) implements AutoCloseable {

    static TemporaryDirectory create(String prefix) {
        try {
            return new TemporaryDirectory(Files.createTempDirectory(prefix));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path resolve(String name) {
        return path.resolve(name);
    }

    @Override
    public void close() {
        try (var files = Files.list(path)) {
            for (Path f : files.toList()) Files.deleteIfExists(f);
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a temporary directory left behind is harmless
        }
    }
}
