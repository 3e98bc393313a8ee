package dev.attest.reports.timing;

import dev.attest.reports.model.Interval;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IntervalsTest {
    @Test
    void theIntervalIsTheOrderStatisticsOneOfTheMedian() {
        // n = 10: P(Bin(10, ½) ≤ 1) = 11/1024, so ranks 2 and 9 cover 97.85%; ranks 3 and 8 would cover only 89%
        Interval i = Intervals.of(new double[]{10, 1, 9, 2, 8, 3, 7, 4, 6, 5});
        assertEquals(5.5, i.median());
        assertEquals(2, i.low());
        assertEquals(9, i.high());
        assertEquals(1 - 22.0 / 1024, i.confidence(), 1e-12);
        assertEquals(10, i.samples());
    }

    @Test
    void aNarrowIntervalIsReliableAndAWideOneIsNot() {
        assertNull(Intervals.of(spread(100, 0.05)).unreliable(), "±5% is within the 20% rule");
        Interval wide = Intervals.of(spread(100, 0.5));
        assertFalse(wide.reliable());
        assertTrue(wide.unreliable().contains("more than 20%"), wide.unreliable());
    }

    @Test
    void fewerThanSixSamplesHaveNoNinetyFivePercentInterval() {
        Interval five = Intervals.of(new double[]{1, 1, 1, 1, 1});
        assertNotNull(five.unreliable(), "identical samples, but five cannot give 95%");
        assertEquals(1 - 2.0 / 32, five.confidence(), 1e-12);
        assertTrue(Intervals.of(new double[]{1, 1, 1, 1, 1, 1}).reliable());
    }

    @Test
    void aBurstOfLoadMovesTheMedianLittle() {
        List<Double> samples = new ArrayList<>(List.of(1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0, 1.01, 0.99, 1.0, 1.0));
        samples.add(50.0);         // one sample taken while another process ran
        Interval i = Intervals.of(samples);
        assertEquals(1.0, i.median(), 0.011);
        assertTrue(i.reliable(), i.toString());
    }

    private static double[] spread(double center, double halfWidth) {
        double[] x = new double[12];
        for (int k = 0; k < x.length; k++) x[k] = center * (1 - halfWidth + 2 * halfWidth * k / (x.length - 1));
        return x;
    }
}
