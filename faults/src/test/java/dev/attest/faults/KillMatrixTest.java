package dev.attest.faults;

import dev.attest.faults.FaultDetection.MutantResult;
import dev.attest.properties.engine.PropertySettings;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kill matrix over the whole catalog ({@link KillMatrix}): fails the build if any mutant survives, that is, if
 * no property fails on it, or if a catalog entry's pinned property does not kill its mutant with the pinned phrase
 * in its message (STYLE.md, "Planted bugs"). It writes {@code faults/target/kill-matrix.json} (format
 * {@value FaultDetection#FORMAT}, see {@link KillMatrixFiles}) and {@code kill-matrix.md}, which
 * {@code attest report --kill-matrix faults/target/kill-matrix.json} can show without running the matrix again.
 *
 * <p>Seed: {@code -Dattest.seed} ({@code random} for a fresh one), else {@link KillMatrix#DEFAULT_SEED}; tries:
 * {@code -Dattest.tries} (the build passes 100); budget: {@code -Dattest.killMatrix.budgetSeconds} (default 270),
 * after which the remaining non-pinned properties are not run.
 */
class KillMatrixTest {

    @Test
    void every_planted_bug_is_killed_by_at_least_one_property() throws IOException {
        // the kit's own parsing (errors name the property), with the matrix's defaults: a fixed seed, its tries
        PropertySettings settings = PropertySettings.fromProperties(key -> {
            String value = System.getProperty(key, "");
            if (!value.isBlank()) return value;
            return switch (key) {
                case "attest.seed" -> Long.toString(KillMatrix.DEFAULT_SEED);
                case "attest.tries" -> Integer.toString(KillMatrix.DEFAULT_TRIES);
                default -> null;
            };
        });
        long seed = settings.runSeed();
        int tries = settings.tries();
        double budget = Double.parseDouble(System.getProperty("attest.killMatrix.budgetSeconds", "270"));
        System.out.println("kill matrix: seed " + seed + ", " + tries + " tries, budget " + budget + " s");
        FaultDetection matrix = KillMatrix.run(Catalog.all(), new KillMatrix.Settings(seed, tries, budget),
                (done, total, row) -> System.out.printf(Locale.ROOT, "kill matrix: %-30s %s in %.1f s, killed by %d: %s%n",
                        row.id(), row.killed() ? "killed" : "SURVIVED", row.seconds(), row.killers().size(),
                        row.killers()));

        Path target = Path.of(System.getProperty("basedir", "."), "target");
        Files.createDirectories(target);
        Files.writeString(target.resolve("kill-matrix.json"), KillMatrixFiles.toJson(matrix));
        Files.writeString(target.resolve("kill-matrix.md"), KillMatrixFiles.markdown(matrix));
        System.out.printf(Locale.ROOT, "kill matrix: %d mutants in %.1f s, written to %s%n", matrix.mutants().size(),
                matrix.seconds(), target.resolve("kill-matrix.{json,md}"));

        assertEquals(Catalog.all().size(), matrix.mutants().size());
        assertEquals(matrix, KillMatrixFiles.parse("kill-matrix.json", KillMatrixFiles.toJson(matrix)),
                "the file reads back as the matrix it was written from");
        List<String> problems = new ArrayList<>();
        for (MutantResult row : matrix.mutants()) {
            if (!row.killed()) {
                problems.add("mutant survived every property: " + row.id() + ": " + row.description() + " (reported at "
                        + row.reportedAt() + ")");
            }
            if (row.pinnedMiss() != null) problems.add(row.id() + ": " + row.pinnedMiss());
        }
        assertTrue(problems.isEmpty(), () -> String.join("\n\n", problems) + "\nreproduce: "
                + KillMatrix.reproduceCommand(seed, tries));
    }
}
