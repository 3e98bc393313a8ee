package dev.attest.faults;

import dev.attest.faults.PlantedCacheBackend.Bug;
import dev.attest.properties.contract.AttentionContract;
import dev.attest.properties.engine.PropertyFailure;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The planted cache tests itself: without a bug it passes the S9 properties that kill its planted bugs (so each
 * kill in the matrix is the bug's, not the planted cache's), and the rotary bug shrinks to the smallest rotary. The
 * wrong-offset and stale-cache bugs are pinned in the kill matrix ({@link KillMatrixTest}).
 */
class PlantedCacheBugsTest {

    @Test
    void the_planted_cache_without_a_bug_passes_the_properties_that_kill_the_others() {
        AttentionContract control = new MutantKits.Softmax(new PlantedCacheBackend(Bug.NONE));
        control.required_S9_any_split_into_chunks_gives_the_outputs_of_one_full_causal_pass();
        control.required_S9_rotary_with_a_cache_equals_rotary_over_the_full_sequence();
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
