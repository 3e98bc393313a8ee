package dev.attest.reports;

import dev.attest.faults.Catalog;
import dev.attest.faults.FaultDetection;
import dev.attest.faults.FaultDetection.MutantResult;
import dev.attest.faults.KillMatrix;
import dev.attest.faults.KillMatrixFiles;
import dev.attest.faults.Mutant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "faults", mixinStandardHelpOptions = true,
        description = {"The kill matrix alone: runs every property of the conformance kits against each mutant of the"
                + " planted-bug catalog (built-in backends with one realistic bug each) and prints which properties"
                + " kill which mutant, as Markdown. Writes DIR/kill-matrix.json (the format `attest report"
                + " --kill-matrix` reads) and DIR/kill-matrix.md.",
                "Exits 1 when a mutant survives every property: the suite has lost its teeth for that bug."},
        footer = {"", "Examples:", "  ./attest faults", "  ./attest faults --mutant scale-missing,cache-stale --tries 20",
                "  ./attest faults --list", "  ./attest faults >> \"$GITHUB_STEP_SUMMARY\""})
public final class FaultsCommand implements Callable<Integer> {
    @Option(names = "--mutant", paramLabel = "ID", split = ",",
            description = "mutants to run (repeat or comma-separate; default: the whole catalog, see --list)")
    List<String> mutants = new ArrayList<>();

    @Option(names = "--seed", paramLabel = "S", description = "property seed, or 'random' (default: 20261123)")
    String seedText;

    @Option(names = "--tries", paramLabel = "N", defaultValue = "" + KillMatrix.DEFAULT_TRIES,
            description = "random cases per property (default: ${DEFAULT-VALUE}, as the build's kill matrix)")
    int tries;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "attest-out/faults",
            description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--list", description = "list the catalog (id, kit, bug) and exit")
    boolean list;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        if (list) {
            for (Mutant m : Catalog.all()) {
                stdout.printf(Locale.ROOT, "%-30s %-8s %s%n", m.id(), m.kit(), m.description());
            }
            return AttestCli.OK;
        }
        if (tries < 1) throw new UsageException("--tries must be a positive integer, got " + tries);
        List<Mutant> selected = select(mutants);
        FaultDetection matrix = run(selected, CommonOptions.parseSeed(seedText), tries, spec.commandLine().getErr());
        AtomicFiles.write(out.resolve("kill-matrix.json"), KillMatrixFiles.toJson(matrix));
        AtomicFiles.write(out.resolve("kill-matrix.md"), KillMatrixFiles.markdown(matrix));
        stdout.print(KillMatrixFiles.markdown(matrix));
        stdout.println();
        printSummary(matrix, stdout);
        stdout.println("attest: kill matrix written to " + out.resolve("kill-matrix.json") + " (and kill-matrix.md)");
        return matrix.survivors().isEmpty() ? AttestCli.OK : AttestCli.FAILED;
    }

    /** The catalog entries with these ids (all when none), as a usage error for an unknown one. */
    static List<Mutant> select(List<String> ids) {
        try {
            return Catalog.select(ids);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--mutant: " + e.getMessage());
        }
    }

    /** Runs the matrix with a progress line per mutant on {@code err}; the properties' statistics are not shown. */
    static FaultDetection run(List<Mutant> mutants, long seed, int tries, PrintWriter err) {
        err.println("attest: fault detection: " + mutants.size() + " planted bugs against every property of their"
                + " kit, seed " + seed + ", " + tries + " tries per property");
        err.flush();
        Progress progress = new Progress(err, "faults", mutants.size());
        try {
            return ConsoleCapture.stdout(() -> KillMatrix.run(mutants,
                    new KillMatrix.Settings(seed, tries, Double.POSITIVE_INFINITY),
                    (done, total, row) -> progress.step(row.id() + ": " + (row.killed()
                            ? "killed by " + row.killers().size() : "SURVIVED")))).value();
        } finally {
            progress.finish();
        }
    }

    /**
     * Reads a kill-matrix file written by the build or by {@code attest faults} to stand as a report's fault-detection
     * section, so it must be a matrix of the whole current catalog; a usage error when bad.
     */
    static FaultDetection read(Path file) {
        try {
            FaultDetection matrix = KillMatrixFiles.read(file);
            KillMatrixFiles.requireWholeCatalog(file.toString(), matrix);
            return matrix;
        } catch (IllegalArgumentException e) {
            throw new UsageException("--kill-matrix " + e.getMessage());
        }
    }

    /**
     * One line of summary; on a survivor, the survivors and what that means; a note per pinned miss (the pinned
     * property of a catalog entry no longer kills it with its phrase: the catalog needs updating, the suite still
     * has teeth).
     */
    static void printSummary(FaultDetection m, PrintWriter out) {
        MutantResult hardest = m.hardest();
        out.printf(Locale.ROOT, "attest: fault detection: %d of %d planted bugs killed in %.1f s (seed %d, %d tries)%s%n",
                m.summary().killed(), m.summary().mutants(), m.seconds(), m.seed(), m.tries(), hardest == null ? ""
                        : "; hardest: " + hardest.id() + ", first failure at case "
                        + hardest.firstKill().casesAndProperty());
        for (MutantResult r : m.mutants()) {
            if (r.pinnedMiss() != null) out.println("attest: note: " + r.id() + ": " + r.pinnedMiss().lines().findFirst().orElse(""));
        }
        List<MutantResult> survivors = m.survivors();
        if (!survivors.isEmpty()) {
            out.println("attest: " + survivors.size() + " planted bug" + (survivors.size() == 1 ? "" : "s")
                    + " SURVIVED every property; the suite has lost its teeth for " + (survivors.size() == 1 ? "it" : "them")
                    + ":");
            survivors.forEach(r -> out.println("  " + r.id() + ": " + r.description()));
        }
        out.flush();
    }
}
