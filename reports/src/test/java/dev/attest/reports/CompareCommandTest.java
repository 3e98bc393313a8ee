package dev.attest.reports;

import dev.attest.faults.FaultDetection;
import dev.attest.reports.model.BackendInfo;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompareCommandTest {
    @TempDir
    Path dir;

    private Path write(String name, dev.attest.reports.model.Report report) {
        Path file = dir.resolve(name);
        ReportJson.write(file, report);
        return file;
    }

    @Test
    void identicalReportsHaveNoRegression() {
        Path a = write("a.json", Fixtures.report(0.001, 0.5, Status.PASS, 0.5));
        Cli cli = Cli.run("compare", a.toString(), a.toString());
        assertEquals(0, cli.code(), cli.out() + cli.err());
        assertTrue(cli.out().startsWith("## Attest compare: no regression"), cli.out());
        assertTrue(cli.out().contains("| backend | config | base | new | change (calibrated) |"), cli.out());
    }

    @Test
    void aPropertyThatNewlyFailsIsARegression() {
        Path a = write("a.json", Fixtures.report(0.001, 0.5, Status.PASS, 0.5));
        Path b = write("b.json", Fixtures.report(0.001, 0.5, Status.FAIL, 0.5));
        Cli cli = Cli.run("compare", a.toString(), b.toString());
        assertEquals(1, cli.code());
        assertTrue(cli.out().contains("| newly fails | cpu-batched | `required_S7_agrees_with_the_oracle` | pass | FAIL |"),
                cli.out());
        assertEquals(0, Cli.run("compare", b.toString(), a.toString()).code(), "a fix is no regression");
    }

    @Test
    void anErrorThatGrewBeyondTheBoundIsARegression() {
        Path a = write("a.json", Fixtures.report(0.001, 0.5, Status.PASS, 0.2));
        Path b = write("b.json", Fixtures.report(0.001, 0.5, Status.PASS, 0.9));
        Cli cli = Cli.run("compare", a.toString(), b.toString(), "--max-error-growth", "2");
        assertEquals(1, cli.code(), cli.out());
        assertTrue(cli.out().contains("| error grew | cpu-batched |"), cli.out());
        assertEquals(0, Cli.run("compare", a.toString(), b.toString(), "--max-error-growth", "5").code());
    }

    @Test
    void aSlowdownCountsRelativeToTheCalibrationBenchmark() {
        Path a = write("a.json", Fixtures.report(0.001, 0.5, Status.PASS, 0.5));
        Path slowMachine = write("b.json", Fixtures.report(0.0015, 0.75, Status.PASS, 0.5));
        assertEquals(0, Cli.run("compare", a.toString(), slowMachine.toString(), "--max-slowdown", "10").code(),
                "a machine 1.5x slower across the board is no regression");
        Path slowCode = write("c.json", Fixtures.report(0.0015, 0.5, Status.PASS, 0.5));
        Cli cli = Cli.run("compare", a.toString(), slowCode.toString(), "--max-slowdown", "10");
        assertEquals(1, cli.code(), cli.out());
        assertTrue(cli.out().contains("| slower | cpu-naive |") && cli.out().contains("+50.0%"), cli.out());
        assertEquals(0, Cli.run("compare", a.toString(), slowCode.toString(), "--max-slowdown", "60").code());
    }

    @Test
    void aPlantedBugThatNewlySurvivesIsARegression() {
        Path killed = write("a.json", Fixtures.withFaults(Fixtures.report(0.001, 0.5, Status.PASS, 0.5), Fixtures.faults(9)));
        Path survives = write("b.json", Fixtures.withFaults(Fixtures.report(0.001, 0.5, Status.PASS, 0.5), Fixtures.faults(0)));
        Cli cli = Cli.run("compare", killed.toString(), survives.toString());
        assertEquals(1, cli.code(), cli.out());
        assertTrue(cli.out().contains("| survives | planted bug | `cache-stale` | killed by 1 | SURVIVED |"), cli.out());
        assertTrue(cli.out().contains("Fault detection: base 4 of 4 planted bugs killed, new 3 of 4 planted bugs killed."),
                cli.out());
        Cli fixed = Cli.run("compare", survives.toString(), killed.toString());
        assertEquals(0, fixed.code(), "a bug that is killed again is no regression: " + fixed.out());
        assertTrue(fixed.out().contains("| killed | planted bug | `cache-stale` | survived | killed by 1 |"), fixed.out());
        Path none = write("c.json", Fixtures.report(0.001, 0.5, Status.PASS, 0.5));
        Cli gone = Cli.run("compare", killed.toString(), none.toString());
        assertEquals(1, gone.code(), "the whole section gone from NEW is missing: " + gone.out());
        assertTrue(gone.out().contains("| missing | fault detection | section | 4 of 4 planted bugs killed | absent |"),
                gone.out());
        assertEquals(0, Cli.run("compare", killed.toString(), none.toString(), "--allow-missing").code());
        assertEquals(0, Cli.run("compare", none.toString(), killed.toString()).code(), "a section only in NEW is new");
    }

    @Test
    void aPlantedBugGoneFromTheMatrixIsMissing() {
        Report plain = Fixtures.report(0.001, 0.5, Status.PASS, 0.5);
        FaultDetection all = Fixtures.faults(9);
        List<FaultDetection.MutantResult> rows = new ArrayList<>(all.mutants());
        rows.removeIf(m -> m.id().equals("cache-stale"));
        Path base = write("a.json", Fixtures.withFaults(plain, all));
        Path fewer = write("b.json", Fixtures.withFaults(plain, FaultDetection.of(all.seed(), all.tries(), all.seconds(), rows)));
        Cli cli = Cli.run("compare", base.toString(), fewer.toString());
        assertEquals(1, cli.code(), cli.out());
        assertTrue(cli.out().contains("| missing | planted bug | `cache-stale` | killed by 1 | absent |"), cli.out());
        Cli allowed = Cli.run("compare", base.toString(), fewer.toString(), "--allow-missing");
        assertEquals(0, allowed.code(), allowed.out());
        assertTrue(allowed.out().contains("### Not counted (allowed by an --allow option)\n\n| kind | backend | item | base"
                + " | new |\n|---|---|---|---|---|\n| missing | planted bug | `cache-stale` |"), allowed.out());
    }

    @Test
    void entriesOfBaseThatNewLacksAreRegressionsUnlessAllowed() {
        Report full = Fixtures.withKvAndLinear(Fixtures.report(0.001, 0.5, Status.PASS, 0.5));
        Path base = write("a.json", full);
        Report empty = new Report(Report.SCHEMA_VERSION, full.environment(), full.run(), List.of(), List.of(), List.of(),
                List.of(), List.of(), null, List.of(), List.of());
        Path nothing = write("b.json", empty);
        Cli cli = Cli.run("compare", base.toString(), nothing.toString());
        assertEquals(1, cli.code(), "an empty report is no pass: " + cli.out());
        int entries = full.backends().size() + full.conformance().size() + full.accuracy().size()
                + full.latency().size() + 1 + full.kvCache().size() + full.linearAttention().size();
        assertTrue(cli.out().startsWith("## Attest compare: " + entries + " regressions"), cli.out());
        for (String row : List.of("| missing | cpu-naive | backend | available | absent |",
                "| missing | cpu-batched | `required_S7_agrees_with_the_oracle` | pass | absent |",
                "| missing | cpu-naive | accuracy " + full.accuracy().getLast().config() + " |",
                "| missing | cpu-batched | latency " + full.latency().getFirst().config() + " |",
                "| missing | calibration | benchmark | 0.5000 ms | absent |",
                "| missing | cpu-naive | kv-cache L=64 |", "| missing | linear-parallel | favor+ iid S=64 m=")) {
            assertTrue(cli.out().contains(row), row + " in\n" + cli.out());
        }
        assertEquals(0, Cli.run("compare", base.toString(), nothing.toString(), "--allow-missing").code());

        Report oneCellLess = new Report(full.schemaVersion(), full.environment(), full.run(), full.backends(),
                full.configs(), full.conformance().subList(1, full.conformance().size()), full.accuracy(),
                full.latency(), full.calibration(), full.kvCache(), full.linearAttention());
        Cli cell = Cli.run("compare", base.toString(), write("c.json", oneCellLess).toString());
        assertEquals(1, cell.code(), cell.out());
        assertTrue(cell.out().startsWith("## Attest compare: 1 regression\n"), cell.out());
    }

    @Test
    void aBareReportIsBadInputNotAnEmptyPass() throws Exception {
        Path a = write("a.json", Fixtures.report(0.001, 0.5, Status.PASS, 0.5));
        Path bare = Files.writeString(dir.resolve("bare.json"), "{\"schemaVersion\":1}");
        Cli cli = Cli.run("compare", a.toString(), bare.toString());
        assertEquals(2, cli.code(), cli.out());
        assertEquals("attest: " + bare + ": field environment is missing", cli.err().strip());
    }

    @Test
    void aPassThatBecomesNoVerdictIsWeakened() {
        Path pass = write("a.json", Fixtures.report(0.001, 0.5, Status.PASS, 0.5));
        for (Status weaker : List.of(Status.SKIPPED, Status.UNSUPPORTED, Status.UNAVAILABLE, Status.XFAIL)) {
            Path b = write(weaker + ".json", Fixtures.report(0.001, 0.5, weaker, 0.5));
            Cli cli = Cli.run("compare", pass.toString(), b.toString());
            assertEquals(1, cli.code(), weaker + ": " + cli.out());
            assertTrue(cli.out().contains("| weakened | cpu-batched | `required_S7_agrees_with_the_oracle` | pass | "
                    + weaker.label() + " |"), cli.out());
            assertEquals(0, Cli.run("compare", pass.toString(), b.toString(), "--allow-weakened").code(), weaker.label());
        }
        Path fail = write("fail.json", Fixtures.report(0.001, 0.5, Status.FAIL, 0.5));
        Path unsupported = write("u.json", Fixtures.report(0.001, 0.5, Status.UNSUPPORTED, 0.5));
        Cli hidden = Cli.run("compare", fail.toString(), unsupported.toString());
        assertEquals(1, hidden.code(), "a failure declared away is no fix: " + hidden.out());
        assertTrue(hidden.out().contains("| weakened | cpu-batched | `required_S7_agrees_with_the_oracle` | fail |"
                + " unsupported |"), hidden.out());
        assertFalse(hidden.out().contains("| fixed |"), hidden.out());

        Report base = Fixtures.report(0.001, 0.5, Status.PASS, 0.5);
        Report gone = new Report(base.schemaVersion(), base.environment(), base.run(),
                List.of(base.backends().get(0), new BackendInfo("cpu-naive", "naive", "fp32", false, "not here")),
                base.configs(), base.conformance(), base.accuracy(), base.latency(), base.calibration(), List.of(),
                List.of());
        Cli backend = Cli.run("compare", pass.toString(), write("gone.json", gone).toString());
        assertEquals(1, backend.code(), backend.out());
        assertTrue(backend.out().contains("| weakened | cpu-naive | backend | available | unavailable |"), backend.out());
    }

    @Test
    void aBoundThatIsNotAFiniteNumberInRangeIsBadUsage() {
        Path a = write("a.json", Fixtures.report(0.001, 0.5, Status.PASS, 0.5));
        for (String[] bad : List.of(new String[]{"--max-slowdown", "NaN", ">= 0"},
                new String[]{"--max-slowdown", "Infinity", ">= 0"}, new String[]{"--max-slowdown", "-1", ">= 0"},
                new String[]{"--max-error-growth", "NaN", ">= 1"}, new String[]{"--max-error-growth", "-Infinity", ">= 1"},
                new String[]{"--max-error-growth", "0.5", ">= 1"})) {
            Cli cli = Cli.run("compare", a.toString(), a.toString(), bad[0], bad[1]);
            assertEquals(2, cli.code(), String.join(" ", bad) + ": " + cli.out());
            assertEquals("attest: " + bad[0] + " must be a finite number " + bad[2] + ", got "
                    + Double.parseDouble(bad[1]), cli.err().strip());
        }
    }

    @Test
    void aShardIsComparedOnlyWithTheSameShard() {
        Report whole = Fixtures.report(0.001, 0.5, Status.PASS, 0.5);
        Path a = write("a.json", whole), shard = write("s.json", Fixtures.shard(whole, "1/2"));
        Cli cli = Cli.run("compare", a.toString(), shard.toString());
        assertEquals(2, cli.code(), cli.out());
        assertEquals("attest: " + shard + ": run.shard is '1/2' but " + a + "'s is null (a whole run); compare a whole"
                + " run with a whole run (attest merge the shards first) or a shard with the same shard",
                cli.err().strip());
        assertEquals(2, Cli.run("compare", shard.toString(), a.toString()).code());
        assertEquals(2, Cli.run("compare", shard.toString(), write("t.json", Fixtures.shard(whole, "2/2")).toString()).code());
        assertEquals(0, Cli.run("compare", shard.toString(), shard.toString()).code());
    }

    @Test
    void malformedOrOlderSchemaInputIsExitTwoInOneLine() throws Exception {
        Path a = write("a.json", Fixtures.report(0.001, 0.5, Status.PASS, 0.5));
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"schemaVersion\": 1, \"conformance\": [");
        Cli cli = Cli.run("compare", a.toString(), broken.toString());
        assertEquals(2, cli.code());
        assertTrue(cli.err().startsWith("attest: " + broken + ": not valid JSON"), cli.err());
        assertEquals(1, cli.err().trim().lines().count());
        Path old = Files.writeString(dir.resolve("old.json"), "{\"schemaVersion\": 0, \"results\": []}");
        cli = Cli.run("compare", old.toString(), a.toString());
        assertEquals(2, cli.code());
        assertTrue(cli.err().contains("schema version 0 is older"), cli.err());
        assertEquals(2, Cli.run("compare", a.toString(), dir.resolve("missing.json").toString()).code());
        assertEquals(2, Cli.run("compare", a.toString()).code(), "one file is bad usage");
    }
}
