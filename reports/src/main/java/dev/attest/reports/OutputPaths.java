package dev.attest.reports;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks, before any work starts, that each output a command will write can be written: a run of many minutes must
 * not end in "cannot write" with its results lost.
 */
final class OutputPaths {
    private OutputPaths() {
    }

    /** {@code file} (given as {@code option}) can be created or replaced; null is no file. */
    static void checkFile(String option, Path file) {
        if (file == null) return;
        if (Files.isDirectory(file)) throw new UsageException(option + " " + file + ": is a directory, expected a file");
        if (Files.exists(file) && !Files.isWritable(file)) {
            throw new UsageException(option + " " + file + ": exists and is not writable");
        }
        Path parent = file.toAbsolutePath().getParent();
        checkDirectory(option, parent, file);
    }

    /** {@code dir} (given as {@code option}) is, or can be made, a directory that files can be written into. */
    static void checkDir(String option, Path dir) {
        if (dir == null) return;
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UsageException(option + " " + dir + ": exists and is not a directory");
        }
        checkDirectory(option, dir.toAbsolutePath(), dir);
    }

    private static void checkDirectory(String option, Path dir, Path given) {
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".attest-write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new UsageException(option + " " + given + ": cannot write into " + dir + " ("
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")");
        }
    }
}
