package dev.attest.reports.timing;

import dev.attest.reports.model.Interval;
import org.junit.jupiter.api.Test;

import java.util.SortedMap;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CrossoverTest {
    /** A reliable timing with a ±2% interval. */
    private static Interval t(double ms) {
        return new Interval(ms, ms * 0.98, ms * 1.02, 0.95, 10, null);
    }

    private static SortedMap<Integer, Interval> series(double exponent, double c, int... lengths) {
        SortedMap<Integer, Interval> out = new TreeMap<>();
        for (int n : lengths) out.put(n, t(c * Math.pow(n, exponent)));
        return out;
    }

    @Test
    void aLinearSeriesCrossesAQuadraticOneWhereTheirPowerLawsMeet() {
        // linear: 1e-3·n, softmax: 1e-6·n²: equal at n = 1000, between the measured 512 and 1024
        Crossover c = Crossover.of("lin", series(1, 1e-3, 256, 512, 1024, 2048), "soft",
                series(2, 1e-6, 256, 512, 1024, 2048));
        assertEquals(1000, c.length(), 1e-6, "log-log interpolation of two power laws is exact");
        assertTrue(c.earliest() < c.length() && c.length() < c.latest(), c.toString());
        // ±2% on each side moves a crossing of slopes 1 and 2 by a factor (1.02/0.98) either way
        assertEquals(1000 * 0.98 / 1.02, c.earliest(), 1e-6);
        assertEquals(1000 * 1.02 / 0.98, c.latest(), 1e-6);
        assertTrue(c.text().contains("faster from n ≈ 1000"), c.text());
    }

    @Test
    void noCrossingWithinTheLengthsIsSaidAndNotExtrapolated() {
        Crossover always = Crossover.of("lin", series(1, 1e-6, 256, 512, 1024), "soft", series(2, 1e-6, 256, 512, 1024));
        assertEquals(Double.NEGATIVE_INFINITY, always.length());
        assertTrue(always.text().contains("faster from the first length"), always.text());
        Crossover never = Crossover.of("lin", series(1, 10, 256, 512, 1024), "soft", series(2, 1e-6, 256, 512, 1024));
        assertEquals(Double.POSITIVE_INFINITY, never.length());
        assertTrue(never.text().contains("slower at every length"), never.text());
        // 10·n = 1e-6·n² at n = 1e7: said as the fits' meeting point, labelled an extrapolation
        assertTrue(never.text().contains("the fitted power laws meet at n ≈ 10000000 (extrapolated, not measured)"),
                never.text());
    }

    @Test
    void unreliablePointsAreLeftOutAndTooFewMeansNoCrossover() {
        SortedMap<Integer, Interval> lin = series(1, 1e-3, 256, 512, 1024, 2048);
        lin.put(1024, lin.get(1024).markedUnreliable("noise"));
        lin.put(512, lin.get(512).markedUnreliable("noise"));
        Crossover c = Crossover.of("lin", lin, "soft", series(2, 1e-6, 256, 512, 1024, 2048));
        // bracketed by 256 and 2048 only: the interpolation of two power laws is still exact at n = 1000
        assertEquals(1000, c.length(), 1e-6);
        assertTrue(c.text().contains("n = 256 to 2048"), c.text());
        lin.put(2048, lin.get(2048).markedUnreliable("noise"));
        Crossover none = Crossover.of("lin", lin, "soft", series(2, 1e-6, 256, 512, 1024, 2048));
        assertTrue(Double.isNaN(none.length()) && none.text().contains("no crossover measured"), none.text());
    }

    @Test
    void aChallengerThatTurnsSlowerAgainIsSaidSo() {
        SortedMap<Integer, Interval> lin = series(1, 1e-3, 256, 512, 1024, 2048, 4096);
        lin.put(4096, t(1e-6 * 4096 * 4096 * 2));           // a quadratic term wakes up at the far end
        Crossover c = Crossover.of("lin", lin, "soft", series(2, 1e-6, 256, 512, 1024, 2048, 4096));
        assertEquals(1000, c.length(), 1e-6);
        assertTrue(c.text().contains("slower again at n = 4096"), c.text());
    }
}
