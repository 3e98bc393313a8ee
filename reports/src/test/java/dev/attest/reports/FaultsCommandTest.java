package dev.attest.reports;

import dev.attest.faults.Catalog;
import dev.attest.faults.FaultDetection;
import dev.attest.faults.FaultDetection.Cell;
import dev.attest.faults.FaultDetection.MutantResult;
import dev.attest.faults.KillMatrixFiles;
import dev.attest.faults.Mutant;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code attest faults} on a small subset of the catalog, and {@code attest report --kill-matrix} on hand-made matrices
 * of the whole catalog: the full matrix runs once, in the faults module's KillMatrixTest, so these tests stay fast.
 */
class FaultsCommandTest {
    @TempDir
    Path dir;

    private static final String[] TINY_REPORT = {"report", "--profile", "tiny", "--no-latency", "--backend",
            "cpu-naive", "--tries", "3"};

    private static String[] report(String... more) {
        List<String> args = new java.util.ArrayList<>(List.of(TINY_REPORT));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    void faultsRunsTheChosenMutantsAndReportShowsItsFileWithoutRunningAgain() throws Exception {
        Path faults = dir.resolve("faults");
        Cli run = Cli.run("faults", "--mutant", "scale-missing,linear-no-normaliser", "--tries", "5", "--out",
                faults.toString());
        assertEquals(0, run.code(), run.out() + run.err());
        assertTrue(run.out().contains("| scale-missing | SOFTMAX |") && run.out().contains("| linear-no-normaliser | LINEAR |"),
                run.out());
        assertTrue(run.out().contains("attest: fault detection: 2 of 2 planted bugs killed in"), run.out());
        assertTrue(run.err().contains("faults 2/2: linear-no-normaliser: killed by"), "progress: " + run.err());
        assertFalse(run.out().contains("property required_"), "the engine's statistics lines are not on the console");
        FaultDetection matrix = KillMatrixFiles.read(faults.resolve("kill-matrix.json"));
        assertEquals(List.of("scale-missing", "linear-no-normaliser"),
                matrix.mutants().stream().map(FaultDetection.MutantResult::id).toList());
        assertEquals(5, matrix.tries());
        assertTrue(Files.readString(faults.resolve("kill-matrix.md")).startsWith("# Kill matrix"));

        Cli part = Cli.run(report("--kill-matrix", faults.resolve("kill-matrix.json").toString()));
        assertEquals(2, part.code(), "a matrix of part of the catalog cannot stand for the whole: " + part.out());
        assertEquals("attest: --kill-matrix " + faults.resolve("kill-matrix.json") + ": mutant "
                + firstOtherThan("scale-missing") + " of the catalog is missing (2 of " + Catalog.all().size()
                + " given; a matrix of part of the catalog cannot stand for the whole)", part.err().strip());

        FaultDetection whole = Fixtures.wholeCatalog();
        Path file = Files.writeString(dir.resolve("whole.json"), KillMatrixFiles.toJson(whole));
        Path out = dir.resolve("report");
        Cli report = Cli.run(report("--kill-matrix", file.toString(), "--out", out.toString()));
        assertEquals(0, report.code(), report.out() + report.err());
        assertFalse(report.err().contains("faults 1/"), "the matrix was read, not run: " + report.err());
        int n = Catalog.all().size();
        assertTrue(report.out().contains("attest: fault detection: " + n + " of " + n + " planted bugs killed"), report.out());
        Report written = ReportJson.read(out.resolve("report.json"));
        assertEquals(whole, written.faultDetection());
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("Fault detection: " + n + " of " + n + " planted bugs killed in"),
                "the section, with the file's figures");
        assertTrue(html.contains("<h3>Kill matrix, softmax kit</h3>"));

        Cli skipped = Cli.run(report("--no-fault-detection", "--out", dir.resolve("none").toString()));
        assertEquals(0, skipped.code(), skipped.out() + skipped.err());
        assertNull(ReportJson.read(dir.resolve("none/report.json")).faultDetection());
    }

    @Test
    void aSurvivingPlantedBugFailsTheReportAndSaysWhatItMeans() throws Exception {
        Path file = Files.writeString(dir.resolve("survivor.json"), KillMatrixFiles.toJson(Fixtures.wholeCatalog("cache-stale")));
        Path out = dir.resolve("report");
        Cli cli = Cli.run(report("--kill-matrix", file.toString(), "--out", out.toString()));
        assertEquals(1, cli.code(), "cpu-naive conforms, but a planted bug survived: " + cli.out() + cli.err());
        assertTrue(cli.out().contains("attest: 1 planted bug SURVIVED every property; the suite has lost its teeth for it:\n"
                + "  cache-stale: " + Catalog.select(List.of("cache-stale")).getFirst().description()), cli.out());
        assertTrue(Files.isRegularFile(out.resolve("report.html")), "the report is still written");
        assertEquals(1, ReportJson.read(out.resolve("report.json")).survivingMutants().size());
    }

    @Test
    void aBadKillMatrixFileIsExitTwoInOneLineBeforeAnythingRuns() throws Exception {
        Path missing = dir.resolve("missing.json");
        Cli cli = Cli.run(report("--kill-matrix", missing.toString()));
        assertEquals(2, cli.code());
        assertEquals("attest: --kill-matrix " + missing + ": no such file", cli.err().strip());
        assertFalse(cli.out().contains("attest: conformance of"), "refused before the check ran: " + cli.out());

        Path report = dir.resolve("report.json");
        ReportJson.write(report, Fixtures.report(0.001, 0.5, dev.attest.reports.model.Status.PASS, 0.5));
        cli = Cli.run(report("--kill-matrix", report.toString()));
        assertEquals(2, cli.code());
        assertEquals("attest: --kill-matrix " + report + ": field format is missing, expected \"attest-kill-matrix/1\""
                + " (write one with `attest faults` or `./build test -pl faults -am`)", cli.err().strip());

        String good = KillMatrixFiles.toJson(Fixtures.faults(9));
        Path wrongCell = Files.writeString(dir.resolve("cell.json"), good.replaceFirst("\"outcome\" : \"killed\"",
                "\"outcome\" : 3"));
        cli = Cli.run(report("--kill-matrix", wrongCell.toString()));
        assertEquals(2, cli.code());
        assertTrue(cli.err().startsWith("attest: --kill-matrix " + wrongCell + ": field mutants[0].results."
                + Fixtures.S1 + ".outcome is 3, expected a string"), cli.err());
        assertEquals(1, cli.err().strip().lines().count(), cli.err());

        assertEquals(2, Cli.run(report("--kill-matrix", report.toString(), "--no-fault-detection")).code());
        assertTrue(Cli.run(report("--kill-matrix", report.toString(), "--no-fault-detection")).err()
                .contains("--kill-matrix and --no-fault-detection exclude each other"));
        Cli unknown = Cli.run("faults", "--mutant", "no-such-bug");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().startsWith("attest: --mutant: no mutant 'no-such-bug' in the catalog; known: "),
                unknown.err());
    }

    /**
     * The matrix given must be one of the whole current catalog: every mutant once, none invented, each of its kit,
     * with a cell for each property of the kit and no other (an invented cell could claim a kill).
     */
    @Test
    void aKillMatrixThatIsNotOfTheWholeCatalogIsRefusedNamingTheFirstMissingOrUnknownId() throws Exception {
        FaultDetection whole = Fixtures.wholeCatalog();
        List<MutantResult> rows = whole.mutants();
        MutantResult first = rows.getFirst();
        String kit = first.kit().name();

        List<MutantResult> invented = new ArrayList<>(rows);
        invented.add(MutantResult.of("invented-bug", first.kit(), "made up", "not located", 1, null, first.results()));
        refused(invented, ": field mutants[" + rows.size() + "].id 'invented-bug' is not a mutant of this Attest's"
                + " catalog (see `attest faults --list`)");

        List<MutantResult> fewer = new ArrayList<>(rows);
        MutantResult dropped = fewer.remove(3);
        refused(fewer, ": mutant " + dropped.id() + " of the catalog is missing (" + fewer.size() + " of "
                + rows.size() + " given; a matrix of part of the catalog cannot stand for the whole)");

        List<MutantResult> twice = new ArrayList<>(rows);
        twice.add(first);
        refused(twice, ": field mutants[" + rows.size() + "].id '" + first.id() + "' is given twice");

        Map<String, Cell> lacking = new LinkedHashMap<>(first.results());
        String lost = lacking.keySet().stream().filter(p -> !first.killers().contains(p)).findFirst().orElseThrow();
        lacking.remove(lost);
        refused(replaceFirst(rows, cells(first, lacking)), ": field mutants[0].results lacks " + lost
                + ", a property of the " + kit + " kit");

        Map<String, Cell> extra = new LinkedHashMap<>(first.results());
        extra.put("required_S99_a_property_nobody_wrote", first.results().get(first.killers().getFirst()));
        refused(replaceFirst(rows, cells(first, extra)), ": field mutants[0].results.required_S99_a_property_nobody_wrote"
                + " is not a property of the " + kit + " kit");

        List<MutantResult> otherKit = replaceFirst(rows, MutantResult.of(first.id(), Mutant.Kit.LINEAR,
                first.description(), first.reportedAt(), 1, null, first.results()));
        refused(otherKit, ": field mutants[0].kit is LINEAR, but the catalog's " + first.id() + " is judged by the "
                + kit + " kit");
    }

    private void refused(List<MutantResult> rows, String message) throws Exception {
        FaultDetection m = FaultDetection.of(20261123, 100, 1, rows);
        Path file = Files.writeString(dir.resolve("matrix.json"), KillMatrixFiles.toJson(m));
        Cli cli = Cli.run(report("--kill-matrix", file.toString()));
        assertEquals(2, cli.code(), cli.out() + cli.err());
        assertEquals("attest: --kill-matrix " + file + message, cli.err().strip());
        assertFalse(cli.out().contains("attest: conformance of"), "refused before the check ran: " + cli.out());
    }

    private static MutantResult cells(MutantResult row, Map<String, Cell> cells) {
        return MutantResult.of(row.id(), row.kit(), row.description(), row.reportedAt(), row.seconds(), null, cells);
    }

    private static List<MutantResult> replaceFirst(List<MutantResult> rows, MutantResult first) {
        List<MutantResult> out = new ArrayList<>(rows);
        out.set(0, first);
        return out;
    }

    /** The first mutant of the catalog, other than {@code id}. */
    private static String firstOtherThan(String id) {
        return Catalog.all().stream().map(Mutant::id).filter(m -> !m.equals(id)).findFirst().orElseThrow();
    }

    @Test
    void listShowsTheCatalog() {
        Cli cli = Cli.run("faults", "--list");
        assertEquals(0, cli.code());
        assertEquals(dev.attest.faults.Catalog.all().size(), cli.out().lines().count(), cli.out());
        assertTrue(cli.out().contains("tail-tile-unmasked") && cli.out().contains("LINEAR"), cli.out());
    }
}
