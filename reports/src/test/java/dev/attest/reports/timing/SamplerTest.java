package dev.attest.reports.timing;

import dev.attest.reference.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {
    private static final Sampler QUICK = new Sampler(5, 2_000, 1, 6, 30, 2_000);

    @Test
    void warmUpHasSettledOnlyWhenTheTimingStoppedFalling() {
        assertFalse(Sampler.settled(List.of(9.0, 8.0, 7.0, 6.0, 5.0, 4.0)), "still 30% faster per window");
        assertTrue(Sampler.settled(List.of(9.0, 4.0, 4.1, 3.9, 4.0, 4.05, 3.95)), "flat at 4");
        assertFalse(Sampler.settled(List.of(4.0, 4.0, 4.0, 4.0, 4.0)), "too few rounds to tell");
    }

    @Test
    void aWarmUpThatNeverSettlesMakesTheFigureUnreliable() {
        // each call is faster than the last, as a kernel the JIT keeps improving would be; on a clock of the
        // test's own, so a loaded machine cannot make the falling timing look settled
        long[] spin = {2_000_000}, now = {0};
        Sampler.Result r = new Sampler(0, 30, 1, 6, 6, 100).measure(() -> {
            spin[0] = spin[0] * 97 / 100;     // 9% faster every three rounds
            now[0] += spin[0];
        }, () -> now[0]);
        assertFalse(r.warmUp().settled());
        assertTrue(r.perCall().unreliable().startsWith("warm-up did not settle"), r.perCall().unreliable());
    }

    @Test
    void aSteadyWorkloadGetsANarrowReliableInterval() {
        Sampler.Result r = QUICK.measure(() -> busy(200_000));
        assertTrue(r.warmUp().settled());
        assertTrue(r.perCall().samples() >= 6);
        assertTrue(r.perCall().median() > 0.15 && r.perCall().median() < 5, r.perCall().toString());
        assertNull(r.integrityFailure());
    }

    @Test
    void aCallThatSkipsRepeatedWorkIsCaught() {
        Tensor out = Tensor.zeros(1, 1, 2, 2);
        int[] calls = {0};
        // right on the untimed reference calls, then returns without writing, as a result cache would
        Runnable a = () -> { if (calls[0]++ < 2) out.fill(1f); };
        Runnable b = () -> { if (calls[0]++ < 2) out.fill(2f); };
        Sampler.Result r = QUICK.measure(new AlternatingCalls(out, a, b));
        assertNotNull(r.integrityFailure());
        assertTrue(r.integrityFailure().contains("left 4 of 4 output elements as the NaN"), r.integrityFailure());
    }

    @Test
    void aCallThatComputesPartOfTheOutputIsCaughtAndAnHonestOneIsNot() {
        Tensor out = Tensor.zeros(1, 1, 1, 3);
        int[] calls = {0};
        // after the two cold reference calls it writes only the first element: a third of the work
        Runnable partial = () -> {
            if (calls[0]++ < 2) out.fill(3f);
            else out.set(3f, 0, 0, 0, 0);
        };
        Sampler.Result r = QUICK.measure(new AlternatingCalls(out, partial, partial));
        assertNotNull(r.integrityFailure());
        assertTrue(r.integrityFailure().contains("2 of 3"), r.integrityFailure());
        Sampler.Result honest = QUICK.measure(new AlternatingCalls(out, () -> out.fill(1f), () -> out.fill(2f)));
        assertNull(honest.integrityFailure());
    }

    @Test
    void fitsReportTheirIntervalAndNeedThreePoints() {
        LogLogFit fit = LogLogFit.of(List.of(new double[]{64, 1}, new double[]{128, 4}, new double[]{256, 16},
                new double[]{512, 64}));
        assertEquals(2, fit.exponent(), 1e-6);
        assertEquals(1, fit.rSquared(), 1e-9);
        assertEquals(fit.low(), fit.high(), 1e-6);
        assertNull(LogLogFit.of(List.of(new double[]{64, 1}, new double[]{128, 4})), "two points fit anything");
        LogLogFit noisy = LogLogFit.of(List.of(new double[]{64, 1}, new double[]{128, 5}, new double[]{256, 12},
                new double[]{512, 70}));
        assertTrue(noisy.low() < noisy.exponent() && noisy.exponent() < noisy.high());
        assertTrue(noisy.rSquared() < 1);
    }

    private static void busy(long nanos) {
        for (long t = System.nanoTime(); System.nanoTime() - t < nanos; ) Thread.onSpinWait();
    }
}
