package dev.attest.reports;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * Runs work that prints on {@code System.out} (the property engine prints a statistics line per property) with
 * that output captured, so the console shows only the CLI's own lines and progress.
 */
final class ConsoleCapture {
    private ConsoleCapture() {
    }

    /** What the work returned, and what it printed. */
    record Captured<T>(T value, String stdout) {
    }

    static <T> Captured<T> stdout(Supplier<T> work) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream console = System.out;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            T value = work.get();
            return new Captured<>(value, captured.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(console);
        }
    }
}
