package dev.attest.reports;

import dev.attest.reports.golden.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code golden export} and {@code golden check} through the CLI: verdicts, broken cases, hostile backends. */
class GoldenTest {
    @TempDir
    Path dir;

    private Path exported() {
        Path golden = dir.resolve("golden");
        Cli export = Cli.run("golden", "export", golden.toString());
        assertEquals(0, export.code(), export.err());
        return golden;
    }

    private static void edit(Path file, String from, String to) throws Exception {
        String text = Files.readString(file);
        assertTrue(text.contains(from), file + " has no " + from);
        Files.writeString(file, text.replace(from, to));
    }

    @Test
    void exportedGoldenCasesPassOnTheBuiltInBackends() {
        Path golden = exported();
        Cli check = Cli.run("golden", "check", golden.toString());
        assertEquals(0, check.code(), check.out() + check.err());
        List<String> lines = check.out().lines().filter(l -> l.startsWith("attention_")).toList();
        assertEquals(11, lines.stream().map(l -> l.split("\\s+")[0]).distinct().count(), check.out());
        assertFalse(check.out().contains(" FAIL "), check.out());
        for (String name : lines.stream().map(l -> l.split("\\s+")[0]).distinct().toList()) {
            assertTrue(lines.stream().anyMatch(l -> l.matches(name + "\\s+cpu-naive\\s+pass .*")),
                    "cpu-naive, which declares every feature, passes " + name + "\n" + check.out());
        }
        assertTrue(check.out().contains("attest: golden check of 11 case(s): "), check.out());
    }

    @Test
    void brokenCasesAreEachNamedInOneLineAndTheOthersStillRun() throws Exception {
        Path golden = exported();
        edit(golden.resolve("attention_4d.json"), "\"qLength\" : 4", "\"qLength\" : 5");
        edit(golden.resolve("attention_4d_gqa.json"), "\"kvHeads\" : 2", "\"kvHeads\" : 3");
        edit(golden.resolve("attention_4d_scaled.json"), "\"scale\" : 0.125", "\"scale\" : -0.125");
        edit(golden.resolve("attention_4d_softcap.json"), "\"softcap\"", "\"soft_cap\"");
        edit(golden.resolve("attention_4d_causal.json"), "\"atol\" : 1.0E-5", "\"atol\" : \"NaN\"");
        Files.delete(golden.resolve("attention_4d_diff_heads_sizes.npz"));
        Files.writeString(golden.resolve("attention_bshd.json"), "{\"batch\": 2,");
        Cli check = Cli.run("golden", "check", golden.toString(), "--backend", "cpu-naive");
        assertEquals(2, check.code(), check.out() + check.err());
        List<String> errors = check.err().lines().toList();
        assertEquals(List.of(
                "attest: attention_4d.npz:q.npy: array 'q' has shape [2, 3, 4, 8] but attention_4d.json says"
                        + " [2, 3, 5, 8] (BHSD)",
                "attest: attention_4d_causal.json: field 'atol' must be a finite number >= 0, got \"NaN\"",
                "attest: attention_4d_diff_heads_sizes.json has no attention_4d_diff_heads_sizes.npz beside it",
                "attest: attention_4d_gqa.json: query heads Hq = 4 is not a multiple of key/value heads Hkv = 3",
                "attest: attention_4d_scaled.json: field 'scale' must be null or a finite number > 0, got -0.125"),
                errors.subList(0, 5), check.err());
        assertTrue(errors.get(5).startsWith("attest: attention_4d_softcap.json: unknown field 'soft_cap'"), check.err());
        assertTrue(errors.get(6).startsWith("attest: attention_bshd.json: not valid JSON"), check.err());
        assertTrue(check.out().lines().anyMatch(l -> l.matches("attention_4d_attn_mask\\s+cpu-naive\\s+pass .*")),
                "the readable cases still run: " + check.out());
        assertTrue(check.out().contains("golden check of 4 case(s) (7 unreadable, named above): 4 passed"),
                check.out());
        assertEquals(2, Cli.run("golden", "check", dir.resolve("none").toString()).code());
    }

    @Test
    void anExpectedInfinityIsNotMetByAFiniteOutput() throws Exception {
        Path golden = exported();
        Path npz = golden.resolve("attention_4d.npz");
        Map<String, Npy.Array> arrays = Npy.readNpz(npz);
        arrays.get("out").data()[5] = Float.POSITIVE_INFINITY;
        Files.write(npz, Npy.npz(arrays));
        Cli check = Cli.run("golden", "check", golden.toString(), "--backend", "cpu-naive");
        assertEquals(1, check.code(), check.out() + check.err());
        String line = check.out().lines().filter(l -> l.startsWith("attention_4d ")).findFirst().orElseThrow();
        assertTrue(line.matches("attention_4d\\s+cpu-naive\\s+FAIL\\s+max \\|out - expected\\| inf at \\[b=0, h=0,"
                + " i=0, d=5].*expected Infinity.*"), line);
    }

    @Test
    void aBackendThatDisagreesWithTheGoldenOutputFails() throws Exception {
        Path golden = exported();
        Path jar = Cli.serviceJar(dir, PlantedOffsetBackend.class.getName());
        Cli check = Cli.run("golden", "check", golden.toString(), "--jar", jar.toString(), "--backend", "planted-offset");
        assertEquals(1, check.code(), check.out() + check.err());
        assertTrue(check.out().lines().anyMatch(l -> l.matches("attention_4d\\s+planted-offset\\s+FAIL\\s+max"
                + " \\|out - expected\\| 0.500 at \\[b=0, h=0, i=0, d=0].*")), check.out());
    }

    @Test
    void checkingNothingIsNoPass() throws Exception {
        Path golden = exported();
        for (String name : caseNames(golden)) {
            if (!name.equals("attention_4d_gqa")) {
                Files.delete(golden.resolve(name + ".json"));
                Files.delete(golden.resolve(name + ".npz"));
            }
        }
        Path jar = HostileJars.build(dir, HostileJars.Misbehaviour.MINIMAL);
        Cli check = Cli.run("golden", "check", golden.toString(), "--jar", jar.toString(), "--backend",
                "hostile-minimal");
        assertEquals(1, check.code(), check.out() + check.err());
        assertTrue(check.out().matches("(?s)attention_4d_gqa\\s+hostile-minimal\\s+unsupported\\s+hostile-minimal does"
                + " not declare \\[GROUPED_QUERY_HEADS].*"), check.out());
        assertTrue(check.err().contains("no case was checked on any backend"), check.err());
    }

    private static List<String> caseNames(Path golden) {
        return dev.attest.reports.golden.Golden.caseNames(golden);
    }

    @Test
    void hostileBackendsFailTheirOwnCasesInTheirOwnWorkers() throws Exception {
        Path golden = exported();
        List<String> args = new java.util.ArrayList<>(List.of("golden", "check", golden.toString(), "--backend",
                "cpu-naive,hostile-exit-zero,hostile-mutate-input,hostile-throw,hostile-nan"));
        for (var m : List.of(HostileJars.Misbehaviour.EXIT_ZERO, HostileJars.Misbehaviour.MUTATE_INPUT,
                HostileJars.Misbehaviour.THROW, HostileJars.Misbehaviour.NAN)) {
            args.addAll(List.of("--jar", HostileJars.build(dir, m).toString()));
        }
        Cli cli = HostileJars.runCli(dir, List.of("-Dattest.hostile.after=3"), args);
        assertEquals(1, cli.code(), cli.out() + cli.err());
        List<String> lines = cli.out().lines().toList();
        assertEquals(11, lines.stream().filter(l -> l.matches("\\S+\\s+cpu-naive\\s+pass .*")).count(), cli.out());
        assertEquals(2, lines.stream().filter(l -> l.matches("\\S+\\s+hostile-exit-zero\\s+pass .*")).count(),
                "the two cases before its exit are kept: " + cli.out());
        assertTrue(lines.stream().anyMatch(l -> l.matches("\\(worker\\)\\s+hostile-exit-zero\\s+FAIL\\s+hostile-exit-zero"
                + " ended its worker JVM before the run finished, with exit code 0.*; not checked: .*")), cli.out());
        assertEquals(11, lines.stream().filter(l -> l.matches("\\S+\\s+hostile-mutate-input\\s+FAIL\\s+wrote into its"
                + " input q: element 0 .*")).count(), cli.out());
        assertEquals(11, lines.stream().filter(l -> l.matches("\\S+\\s+hostile-throw\\s+FAIL\\s+threw"
                + " java.lang.IllegalStateException: kernel launch failed: planted")).count(), cli.out());
        assertEquals(11, lines.stream().filter(l -> l.matches("\\S+\\s+hostile-nan\\s+FAIL\\s+max \\|out - expected\\|"
                + " inf .*")).count(), cli.out());
    }
}
