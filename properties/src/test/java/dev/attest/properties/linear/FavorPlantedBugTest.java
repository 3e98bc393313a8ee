package dev.attest.properties.linear;

import dev.attest.linear.FeatureMap;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The random-feature statistics test themselves: a planted bug in the feature map must make an F1 property fail
 * with a specific phrase. (The planted linear backends and their self-test live in the faults module.)
 */
class FavorPlantedBugTest {

    /** The input scale applied twice (x·0.9 instead of x): the estimate of exp(xᵀy) is biased. */
    @Test
    void aMisScaledFeatureMapIsCaughtByUnbiasedness() {
        FavorEstimatorProperties misScaled = new FavorEstimatorProperties() {
            @Override
            protected FeatureMap.Random randomMap(boolean positive, int d, int m, long seed, boolean orthogonal) {
                return positive ? new FeatureMap.PositiveRandom(d, m, seed, orthogonal, 0.9)
                        : new FeatureMap.TrigRandom(d, m, seed, orthogonal, 0.9);
            }
        };
        Throwable failure = assertThrows(Throwable.class, misScaled::stochastic_F1_favor_estimates_of_exp_xy_are_unbiased);
        assertTrue(failure.getMessage().contains("the estimate is biased"), failure::getMessage);
    }
}
