package dev.attest.properties.linear;

import dev.attest.backends.linear.LinearParallelBackend;
import dev.attest.linear.FeatureMap;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The approximation sweep produces a complete, plausible result model (and prints its table). */
class ApproximationSweepTest {
    static final int[] M = {4, 16, 64, 256};
    static final int[] LENGTHS = {4, 16, 64};

    @Test
    void sweepOverFeaturesAndLengthsForIidAndOrthogonalFavor() {
        for (boolean orthogonal : new boolean[]{false, true}) {
            var config = new ApproximationSweep.Config("linear-parallel", FeatureMap.Kind.FAVOR_POSITIVE, orthogonal,
                    false, 8, 4, 6, 20261123L);
            var result = ApproximationSweep.run(new LinearParallelBackend(), config, M, 16, LENGTHS, 64);
            System.out.println("[approximation sweep, favor+ " + (orthogonal ? "orthogonal" : "iid")
                    + ", non-causal, Dk=8 Dv=4, 6 redraws]\n" + result.table());
            assertEquals(M.length, result.byFeatures().size());
            assertEquals(LENGTHS.length, result.byLength().size());
            var byM = result.byFeatures();
            for (int i = 0; i < byM.size(); i++) {
                var p = byM.get(i);
                assertTrue(Double.isFinite(p.maxAbsError()) && Double.isFinite(p.relativeRms()), p.toString());
                assertEquals(orthogonal, Double.isNaN(p.theoryKernelRelativeMse()), "theory curve only for iid");
                if (!orthogonal) {
                    // the empirical kernel MSE follows Lemma 2 (mean of 6 redraws: loose factor-3 band)
                    double ratio = p.kernelRelativeMse() / p.theoryKernelRelativeMse();
                    assertTrue(ratio > 1 / 3.0 && ratio < 3, "kernel MSE / Lemma 2 = " + ratio + " at m=" + p.features());
                }
                if (i > 0) {
                    assertTrue(p.relativeRms() < byM.get(i - 1).relativeRms(), "error did not fall with m: " + byM);
                }
            }
        }
    }
}
