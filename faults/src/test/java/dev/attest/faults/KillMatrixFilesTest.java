package dev.attest.faults;

import dev.attest.backends.naive.CpuNaiveBackend;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.LayerProblem;
import dev.attest.reference.Tensor;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Capabilities;
import dev.attest.spi.LinearAttentionBackend;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The matrix on a small subset, its files, and what it refuses; the whole catalog runs in {@link KillMatrixTest}. */
class KillMatrixFilesTest {
    private static final KillMatrix.Settings QUICK = new KillMatrix.Settings(KillMatrix.DEFAULT_SEED, 5,
            Double.POSITIVE_INFINITY);

    @Test
    void aSubsetRunsEveryPropertyOfItsKitAndReadsBackFromJson() {
        List<Mutant> two = Catalog.select(List.of("linear-no-normaliser", "scale-missing"));
        assertEquals(List.of("scale-missing", "linear-no-normaliser"), two.stream().map(Mutant::id).toList(),
                "catalog order, not the order asked");
        List<String> seen = new java.util.ArrayList<>();
        FaultDetection m = KillMatrix.run(two, QUICK, (done, total, row) -> seen.add(done + "/" + total + " " + row.id()));
        assertEquals(List.of("1/2 scale-missing", "2/2 linear-no-normaliser"), seen);
        assertEquals(new FaultDetection.Summary(2, 2, 0), m.summary());
        FaultDetection.MutantResult scale = m.mutants().getFirst();
        assertEquals(KillMatrix.propertyCount(two.getFirst()), scale.results().size(), "a cell per softmax property");
        assertTrue(scale.killers().contains("required_S7_agrees_with_the_oracle_within_the_tolerance_model"));
        assertNull(scale.pinnedMiss(), scale.pinnedMiss());
        assertNotNull(scale.firstKill().casesToFailure());
        assertEquals(scale.results().get(scale.firstKill().property()).casesToFailure(), scale.firstKill().casesToFailure());
        assertTrue(scale.results().values().stream().filter(FaultDetection.Cell::killed)
                .allMatch(c -> c.casesToFailure() == null || c.casesToFailure() >= scale.firstKill().casesToFailure()),
                "the first kill is the one with the fewest cases");

        String json = KillMatrixFiles.toJson(m);
        assertTrue(json.contains("\"format\" : \"attest-kill-matrix/1\""), json);
        assertTrue(json.contains("\"outcome\" : \"killed\""), json);
        assertEquals(m, KillMatrixFiles.parse("m.json", json));
        String md = KillMatrixFiles.markdown(m);
        assertTrue(md.contains("2 of 2 planted bugs killed") && md.contains("| scale-missing | SOFTMAX |"), md);
    }

    /** A backend that never returns is killed by the property's limit, not waited on forever. */
    @Test
    void aHangingBackendIsKilledByThePropertyLimit() {
        AttentionBackend hangs = new AttentionBackend() {
            final CpuNaiveBackend correct = new CpuNaiveBackend();

            @Override
            public String name() {
                return "hangs";
            }

            @Override
            public Capabilities capabilities() {
                return correct.capabilities();
            }

            @Override
            public void attention(AttentionProblem problem, Tensor out) {
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    throw new IllegalStateException("interrupted", e);
                }
            }

            @Override
            public void layer(LayerProblem problem, Tensor out) {
                correct.layer(problem, out);
            }
        };
        Mutant mutant = new Mutant("hangs", "never returns", "not located", Mutant.Kit.SOFTMAX, () -> hangs,
                "required_S7_agrees_with_the_oracle_within_the_tolerance_model", "did not finish within");
        System.setProperty("attest.killMatrix.propertyLimitSeconds", "0.5");
        try {
            long start = System.nanoTime();
            // a budget shorter than the limit: only the pinned property runs
            FaultDetection m = KillMatrix.run(List.of(mutant), new KillMatrix.Settings(1, 2, 0.1), null);
            assertTrue((System.nanoTime() - start) / 1e9 < 30, "the matrix waited on the hang");
            FaultDetection.MutantResult row = m.mutants().getFirst();
            assertEquals(List.of("required_S7_agrees_with_the_oracle_within_the_tolerance_model"), row.killers());
            assertNull(row.pinnedMiss(), row.pinnedMiss());
        } finally {
            System.clearProperty("attest.killMatrix.propertyLimitSeconds");
        }
    }

    @Test
    void aCorrectBackendInTheCatalogsPlaceSurvivesAndTheMatrixSaysSo() {
        Mutant correct = new Mutant("no-bug", "cpu-naive itself", "not located", Mutant.Kit.SOFTMAX,
                CpuNaiveBackend::new, "required_S7_agrees_with_the_oracle_within_the_tolerance_model", "outside");
        FaultDetection m = KillMatrix.run(List.of(correct), new KillMatrix.Settings(1, 2, Double.POSITIVE_INFINITY), null);
        assertEquals(new FaultDetection.Summary(1, 0, 1), m.summary());
        assertEquals(List.of("no-bug"), m.survivors().stream().map(FaultDetection.MutantResult::id).toList());
        assertNull(m.mutants().getFirst().firstKill());
        assertTrue(m.mutants().getFirst().pinnedMiss().contains("did not kill it (survived)"),
                m.mutants().getFirst().pinnedMiss());
        assertNull(m.hardest());
        assertTrue(KillMatrixFiles.markdown(m).contains("**SURVIVED**"));
    }

    @Test
    void aFileThatIsNotAKillMatrixIsRefusedNamingTheField() {
        FaultDetection m = FaultDetection.of(7, 3, 1.25, List.of(new FaultDetection.MutantResult("x", Mutant.Kit.LINEAR,
                "d", "r", true, 0.5, List.of("required_L1_a"), new FaultDetection.FirstKill("required_L1_a", 2, "S=1", 1L),
                null, new java.util.LinkedHashMap<>(java.util.Map.of("required_L1_a",
                new FaultDetection.Cell(FaultDetection.Outcome.KILLED, 2, "S=1", 1L, 3))))));
        String good = KillMatrixFiles.toJson(m);
        assertEquals(1.3, KillMatrixFiles.parse("g.json", good).seconds(), "seconds kept to a tenth");
        assertRefused("{\"format\": \"attest-kill-matrix/9\"}", "b.json: field format is \"attest-kill-matrix/9\", expected \"attest-kill-matrix/1\"");
        assertRefused("[]", "b.json: not a kill matrix");
        assertRefused("{\"format\":", "b.json: not valid JSON");
        assertRefused(good.replace("\"tries\" : 3", "\"tries\" : \"three\""), "b.json: field tries is \"three\", expected a number");
        assertRefused(good.replace("\"outcome\" : \"killed\"", "\"outcome\" : \"maimed\""), "b.json: field mutants[0].results.required_L1_a.outcome is malformed");
        assertRefused(good.replace("\"id\" : \"x\",", ""), "b.json: field mutants[0].id is missing");
        assertRefused(good.replace("\"killed\" : 1", "\"killed\" : 0"), "b.json: field summary is 1 mutants, 0 killed");
        assertRefused(good.replace("\"killed\" : true", "\"killed\" : false"), "b.json: field mutants[0].killed is false but 1 properties killed it");
        assertRefused(good.replace("\"property\" : \"required_L1_a\",", ""), "b.json: field mutants[0].firstKill is FirstKill[property=null");
    }

    private static void assertRefused(String text, String start) {
        var e = assertThrows(IllegalArgumentException.class, () -> KillMatrixFiles.parse("b.json", text));
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void unknownIdsAreRefusedWithTheKnownOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> Catalog.select(List.of("scale-missing", "nope")));
        assertTrue(e.getMessage().startsWith("no mutant 'nope' in the catalog; known: heads-tokens-swapped,"), e.getMessage());
    }

    /** The mutants are reachable through the catalog only: ServiceLoader (what check and report use) never sees one. */
    @Test
    void noMutantIsADiscoverableBackend() {
        Set<String> discovered = ServiceLoader.load(AttentionBackend.class).stream().map(p -> p.type().getName())
                .collect(Collectors.toSet());
        discovered.addAll(ServiceLoader.load(LinearAttentionBackend.class).stream().map(p -> p.type().getName()).toList());
        assertFalse(discovered.isEmpty(), "the built-in backends are discovered");
        for (Mutant m : Catalog.all()) {
            String type = m.backend().get().getClass().getName();
            assertFalse(discovered.contains(type), m.id() + " is discoverable as " + type);
        }
        assertTrue(discovered.stream().noneMatch(t -> t.startsWith("dev.attest.faults.")), discovered::toString);
    }
}
