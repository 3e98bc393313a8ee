package dev.attest.faults;

import dev.attest.faults.PlantedCacheBackend.Bug;
import dev.attest.properties.contract.AttentionContract;
import dev.attest.properties.engine.PropertyFailure;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The planted cache tests itself: without a bug it passes every property of the kit (so each kill in the matrix
 * is its bug's, not a gap of the planted cache), and the rotary bug shrinks to the smallest rotary. The cache
 * mutants' pinned kills are checked in the kill matrix ({@link KillMatrixTest}).
 */
class PlantedCacheBugsTest {

    @Test
    void the_planted_cache_without_a_bug_passes_every_property_of_the_kit() {
        Mutant control = new Mutant("planted-cache-none", "the planted cache without a bug", "not located",
                Mutant.Kit.SOFTMAX, () -> new PlantedCacheBackend(Bug.NONE), null, null);
        FaultDetection matrix = KillMatrix.run(List.of(control), new KillMatrix.Settings(KillMatrix.DEFAULT_SEED,
                Integer.getInteger("attest.tries", KillMatrix.DEFAULT_TRIES), Double.POSITIVE_INFINITY), null);
        FaultDetection.MutantResult row = matrix.mutants().getFirst();
        assertEquals(List.of(), row.killers(), "the control failed these properties");
        assertTrue(row.results().entrySet().stream().filter(e -> e.getKey().contains("_S9_"))
                .allMatch(e -> e.getValue().outcome() == FaultDetection.Outcome.SURVIVED), () -> "an S9 property did not"
                + " run on the control: " + row.results());
    }

    /** Rotary at position 0 instead of the cache offset. */
    @Test
    void rotary_at_position_zero_instead_of_the_cache_offset_is_caught() {
        AttentionContract kit = new MutantKits.Softmax(new PlantedCacheBackend(Bug.ROTARY_AT_ZERO));
        PropertyFailure failure = assertThrows(PropertyFailure.class,
                kit::required_S9_rotary_with_a_cache_equals_rotary_over_the_full_sequence, "ROTARY_AT_ZERO survived");
        for (String phrase : new String[]{"differs from one full causal pass", "layer output outside the tolerance model"}) {
            assertTrue(failure.getMessage().contains(phrase),
                    () -> "failure message lacks '" + phrase + "':\n" + failure.getMessage());
        }
        String shrunk = String.valueOf(failure.shrunk());
        assertTrue(shrunk.contains("rope(2)"), () -> "not shrunk to the smallest rotary: " + shrunk);
    }
}
