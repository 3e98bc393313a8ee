package dev.attest.reports;

import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckCommandTest {
    @TempDir
    Path dir;

    @Test
    void noArgumentsPrintsHelpAndEveryCommandHasHelpWithAnExample() {
        Cli cli = Cli.run();
        assertEquals(0, cli.code());
        assertTrue(cli.out().contains("Usage: attest"), cli.out());
        for (String command : new String[]{"check", "bench", "report", "faults", "compare", "merge", "golden"}) {
            Cli help = Cli.run(command, "--help");
            assertEquals(0, help.code(), command);
            assertTrue(help.out().contains("Example"), command + ": " + help.out());
        }
        Cli golden = Cli.run("golden", "export", "--help");
        assertTrue(golden.out().contains("Example"), golden.out());
    }

    @Test
    void unknownBackendIsExitTwoListingTheKnownOnes() {
        Cli cli = Cli.run("check", "--backend", "no-such");
        assertEquals(2, cli.code());
        assertTrue(cli.err().trim().startsWith("attest: unknown backend 'no-such'; known backends: cpu-batched, cpu-naive,"),
                cli.err());
        assertTrue(cli.err().contains("linear-recurrent"), "linear backends are listed too: " + cli.err());
    }

    @Test
    void badUsageIsExitTwo() {
        assertEquals(2, Cli.run("check", "--no-such-option").code());
        assertEquals(2, Cli.run("check", "--shard", "3/2").code());
        assertEquals(2, Cli.run("report", "--profile", "huge").code());
    }

    @Test
    void aJarWithoutABackendIsExitTwoInOneLine() throws Exception {
        Path jar = Cli.serviceJar(dir, null);
        Cli cli = Cli.run("check", "--jar", jar.toString());
        assertEquals(2, cli.code());
        assertTrue(cli.err().startsWith("attest: --jar " + jar + ": no backend in it"), cli.err());
        assertEquals(1, cli.err().trim().lines().count(), cli.err());
        assertEquals(2, Cli.run("check", "--jar", dir.resolve("missing.jar").toString()).code());
    }

    @Test
    void aConformingBackendExitsZeroAndWritesJsonAndJunitXml() throws Exception {
        Path json = dir.resolve("out/check.json"), xml = dir.resolve("out/TEST-attest.xml");
        Cli cli = Cli.run("check", "--backend", "cpu-naive", "--tries", "3", "--json", json.toString(),
                "--junit-xml", xml.toString(), "--log", dir.resolve("log.txt").toString());
        assertEquals(0, cli.code(), cli.out() + cli.err());
        assertTrue(cli.out().contains("required_S7_agrees_with_the_oracle_within_the_tolerance_model"), cli.out());
        Report report = ReportJson.read(json);
        assertEquals(Report.SCHEMA_VERSION, report.schemaVersion());
        assertTrue(report.conformance().size() > 20);
        assertTrue(report.conformance().stream().allMatch(r -> r.backend().equals("cpu-naive")));
        assertTrue(report.conformance().stream().noneMatch(r -> r.status() == Status.FAIL));
        assertEquals(3, report.run().tries());
        String junit = Files.readString(xml);
        assertTrue(junit.contains("<testsuite") && junit.contains("required_S7"), junit);
    }

    @Test
    void aThirdPartyJarThatFailsIsExitOneWithTheCounterexampleAndReproduceLine() throws Exception {
        Path jar = Cli.serviceJar(dir, PlantedOffsetBackend.class.getName());
        Cli cli = Cli.run("check", "--jar", jar.toString(), "--backend", "planted-offset", "--tries", "3",
                "--log", dir.resolve("log.txt").toString());
        assertEquals(1, cli.code(), cli.out() + cli.err());
        assertTrue(cli.out().contains("FAIL planted-offset required_S7_agrees_with_the_oracle"), cli.out());
        assertTrue(cli.out().contains("shrunk"), cli.out());
        assertTrue(cli.out().contains("reproduce"), cli.out());
        // the reproduce line is an attest command carrying the jar, and it replays exactly that case
        String line = cli.out().lines().filter(l -> l.startsWith("reproduce")).findFirst().orElseThrow();
        assertTrue(line.contains("./attest check --jar " + jar.toAbsolutePath() + " --backend planted-offset"
                + " --property required_"), line);
        String[] words = line.substring(line.indexOf("./attest check") + "./attest check".length()).trim().split(" ");
        List<String> replay = new java.util.ArrayList<>(List.of("check", "--log", dir.resolve("log2.txt").toString()));
        replay.addAll(List.of(words));
        Cli again = Cli.run(replay.toArray(String[]::new));
        assertEquals(1, again.code(), again.out() + again.err());
        assertTrue(again.out().contains("1 failed") && again.out().contains("0 passed"), again.out());
    }

    @Test
    void numericOptionsOutOfRangeAreExitTwoInOneLine() {
        for (String[] args : new String[][]{{"--tries", "2147483647"}, {"--tries", "0"}, {"--timeout", "0"},
                {"--timeout", "-5"}, {"--timeout", "999999"}}) {
            Cli cli = Cli.run("check", "--backend", "cpu-naive", args[0], args[1]);
            assertEquals(2, cli.code(), String.join(" ", args) + ": " + cli.err());
            assertTrue(cli.err().startsWith("attest: " + args[0] + " must be between"), cli.err());
            assertEquals(1, cli.err().trim().lines().count(), cli.err());
        }
    }

    @Test
    void anUnwritableOutputIsRefusedBeforeTheRunInOneLine() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        for (String option : new String[]{"--json", "--junit-xml", "--log"}) {
            long start = System.nanoTime();
            Cli cli = Cli.run("check", "--backend", "cpu-naive", option, file.resolve("under-a-file.json").toString());
            assertEquals(2, cli.code(), option + ": " + cli.err());
            assertTrue(cli.err().startsWith("attest: " + option + " "), cli.err());
            assertEquals(1, cli.err().trim().lines().count(), cli.err());
            assertFalse(cli.out().contains("passed"), "refused before any property ran: " + cli.out());
            assertTrue(System.nanoTime() - start < 5_000_000_000L);
        }
        Cli dirAsFile = Cli.run("check", "--backend", "cpu-naive", "--json", dir.toString());
        assertEquals(2, dirAsFile.code());
        assertTrue(dirAsFile.err().contains("is a directory"), dirAsFile.err());
        Cli report = Cli.run("report", "--out", file.toString());
        assertEquals(2, report.code(), report.err());
        assertTrue(report.err().startsWith("attest: --out " + file + ": exists and is not a directory"), report.err());
    }

    @Test
    void replayNeedsOnePropertyAndOneBackend() {
        Cli cli = Cli.run("check", "--replay", "edge:0");
        assertEquals(2, cli.code());
        assertTrue(cli.err().startsWith("attest: --replay needs --property"), cli.err());
    }
}
