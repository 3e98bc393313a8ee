package dev.attest.reports;

import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        assertEquals(0, Cli.run("compare", killed.toString(), none.toString()).code(),
                "a run without fault detection is not judged on it");
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
