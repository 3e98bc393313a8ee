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

    /** {@code attest-out} when {@code given} is a relative path under it (a default or one like it), else null. */
    private static Path defaultRoot(Path given) {
        if (given.isAbsolute() || given.getNameCount() == 0 || !given.getName(0).toString().equals(DEFAULT_ROOT)) return null;
        return given.getName(0).toAbsolutePath();
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

    /** The directory every command's default output lives under, relative to where attest runs. */
    static final String DEFAULT_ROOT = "attest-out";

    private static void checkDirectory(String option, Path dir, Path given) {
        try {
            Path root = defaultRoot(given);
            boolean fresh = root != null && !Files.exists(root);
            Files.createDirectories(dir);
            // Like a build tool's target/: a default output directory Attest creates ignores itself, so that running
            // attest in a checkout leaves `git status` clean. A directory the user made or named is left alone.
            if (fresh) Files.writeString(root.resolve(".gitignore"), "# created by attest: its outputs are not sources\n*\n");
            Path probe = Files.createTempFile(dir, ".attest-write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new UsageException(option + " " + given + ": cannot write into " + dir + " ("
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")");
        }
    }
}
