package dev.attest.properties.cases;

import dev.attest.properties.engine.CaseRandom;
import dev.attest.properties.engine.PropertyDescription;
import dev.attest.properties.engine.PropertyFailure;
import dev.attest.properties.engine.PropertyRunner;
import dev.attest.properties.engine.PropertySettings;
import dev.attest.reference.Precision;
import dev.attest.spi.Capabilities;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ragged-batch finishing step and the cache shrinker: a shrunk scenario is never larger than the original. */
class CacheCasesTest {
    private static final CacheCases RAGGED = CacheCases.core(Capabilities.everything(Precision.FP32))
            .finishing(CacheCase::asRagged);

    private static CacheCase one(List<List<Integer>> splits) {
        return new CacheCase(1, 1, 2, 2, 0, -1, false, 0, splits, dev.attest.reference.cache.Padding.RIGHT,
                Values.SMALL_INTEGERS, 41, 0, 0, false, 0, 0, 42, null, 0);
    }

    @Test
    void asRaggedGivesTwoSequencesOfDifferentLengthsWithTheFewestTokensAdded() {
        assertEquals(List.of(List.of(1), List.of(1, 1)), one(List.of(List.of(1))).asRagged().splits());
        assertEquals(List.of(List.of(3), List.of(1)), one(List.of(List.of(3))).asRagged().splits());
        assertEquals(List.of(List.of(2, 1), List.of(2)), one(List.of(List.of(2, 1), List.of(2, 1))).asRagged().splits());
        assertEquals(List.of(List.of(3), List.of(2)), one(List.of(List.of(3), List.of(3))).asRagged().splits());
        assertEquals(List.of(List.of(1), List.of(1, 1)), one(List.of(List.of(1), List.of(1))).asRagged().splits());
        List<List<Integer>> ragged = List.of(List.of(1), List.of(1, 1));
        assertEquals(ragged, one(ragged).asRagged().splits(), "a ragged batch is left as it is");
    }

    /** The finishing step regrew dropped sequences: [[1], [1, 1]] shrank to [[1, 1]], finished as [[1, 1], [1, 1, 1]]. */
    @Test
    void noShrinkCandidateOfARaggedScenarioIsLargerThanIt() {
        for (long seed = 0; seed < 300; seed++) {
            CacheCase c = RAGGED.generate(new CaseRandom(seed), 1 + (int) (seed % 100));
            RAGGED.shrink(c).forEach(candidate -> assertTrue(candidate.measure() <= c.measure(),
                    () -> "shrinking " + c.splits() + " offered the larger " + candidate.splits()));
        }
        for (CacheCase c : RAGGED.edgeCases()) {
            RAGGED.shrink(c).forEach(candidate -> assertTrue(candidate.measure() <= c.measure(),
                    () -> "shrinking " + c.splits() + " offered the larger " + candidate.splits()));
        }
    }

    @Test
    void aScenarioThatAlwaysFailsShrinksToOneNoLargerThanTheOriginal() {
        PropertyDescription description = PropertyDescription.of("required_test_ragged", "test", "none");
        for (long s = 0; s < 5; s++) {
            long seed = s;
            PropertyFailure failure = assertThrows(PropertyFailure.class, () -> PropertyRunner.check(description,
                    RAGGED, c -> {
                        throw new AssertionError("always");
                    }, PropertySettings.withSeed(seed).withTries(1)));
            CacheCase original = (CacheCase) failure.original(), shrunk = (CacheCase) failure.shrunk();
            assertTrue(shrunk.measure() <= original.measure(), () -> "grew from " + original + " to " + shrunk);
            assertNotEquals(1, shrunk.batch(), "still ragged");
        }
    }
}
