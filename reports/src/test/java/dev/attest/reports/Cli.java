package dev.attest.reports;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in-process and keeps its exit code and both streams. */
record Cli(int code, String out, String err) {
    static Cli run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        try {
            int code = AttestCli.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
            return new Cli(code, out.toString(), err.toString());
        } finally {
            Thread.currentThread().setContextClassLoader(before);
        }
    }

    /** A jar holding only a service file (the classes it names come from the test class path), or nothing. */
    static java.nio.file.Path serviceJar(java.nio.file.Path dir, String provider) throws java.io.IOException {
        java.nio.file.Path jar = dir.resolve(provider == null ? "empty.jar" : "backend.jar");
        try (var zip = new java.util.jar.JarOutputStream(java.nio.file.Files.newOutputStream(jar))) {
            zip.putNextEntry(new java.util.zip.ZipEntry(provider == null ? "README.txt"
                    : "META-INF/services/dev.attest.spi.AttentionBackend"));
            zip.write((provider == null ? "nothing here" : provider + "\n").getBytes());
            zip.closeEntry();
        }
        return jar;
    }
}
