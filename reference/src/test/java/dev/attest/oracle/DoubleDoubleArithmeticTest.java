package dev.attest.oracle;

import java.util.SplittableRandom;

import org.apache.commons.math3.dfp.Dfp;
import org.apache.commons.numbers.core.DD;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The transcendental functions written for double-double, checked against Commons Math {@code Dfp}. */
class DoubleDoubleArithmeticTest {
    private static final DoubleDoubleArithmetic DDA = DoubleDoubleArithmetic.INSTANCE;
    private static final DfpArithmetic DFP = new DfpArithmetic(60);

    /** Relative difference |dd - exact| / |exact| computed in Dfp. */
    private static double relativeError(DD dd, Dfp exact) {
        Dfp value = DFP.of(dd.hi()).add(DFP.of(dd.lo()));
        if (exact.isZero()) return DFP.toDouble(value.abs());
        return DFP.toDouble(value.subtract(exact).divide(exact).abs());
    }

    @Test
    void expRoundedToDoubleIsCorrectlyRounded() {
        SplittableRandom random = new SplittableRandom(20240611);
        int n = 10_000, mismatches = 0;
        StringBuilder first = new StringBuilder();
        double[] special = {0, -0.0, 1, -1, 1e-300, -1e-20, 0.5 * Math.log(2), -0.5 * Math.log(2), 709, 709.78,
                -708.39, -708.4, -720, -740, -744.44, -745, -745.13, -745.14, Math.log(2) * -1022, -1e-9, 3e-5};
        for (int t = 0; t < n; t++) {
            double x = t < special.length ? special[t] : -745 + random.nextDouble() * (709 + 745);
            if (t % 4 == 1 && t >= special.length) x = -random.nextDouble() * 20;     // the softmax range
            double mine = DDA.toDouble(DDA.exp(DD.of(x)));
            double exact = DFP.toDouble(DFP.of(x).exp());
            if (Double.doubleToLongBits(mine) != Double.doubleToLongBits(exact)) {
                if (mismatches++ == 0) first.append("exp(").append(x).append(") = ").append(mine)
                        .append(" but Dfp says ").append(exact);
            }
        }
        int bad = mismatches;
        assertEquals(0, bad, () -> bad + " of " + n + " arguments not correctly rounded; first: " + first);
    }

    @Test
    void expGoesToZeroWithoutNaNForLargeNegativeArguments() {
        for (double x : new double[]{-745.2, -746, -800, -1e4, -1e300, Double.MAX_VALUE * -1}) {
            DD e = DDA.exp(DD.of(x));
            assertEquals(0.0, DDA.toDouble(e), "exp(" + x + ")");
            assertTrue(e.isFinite());
        }
        assertEquals(Double.MIN_VALUE, DDA.toDouble(DDA.exp(DD.of(-745.0))));
    }

    @Test
    void expIsAccurateToAboutDoubleDoublePrecision() {
        SplittableRandom random = new SplittableRandom(7);
        double worst = 0;
        for (int t = 0; t < 500; t++) {
            double x = -50 + 100 * random.nextDouble();
            worst = Math.max(worst, relativeError(DDA.exp(DD.of(x)), DFP.of(x).exp()));
        }
        assertTrue(worst < 0x1p-98, "worst relative error of DD exp: " + worst);
    }

    @Test
    void tanhHasNoCancellationForSmallArguments() {
        SplittableRandom random = new SplittableRandom(11);
        double worst = 0;
        for (int t = 0; t < 400; t++) {
            double x = (random.nextBoolean() ? 1 : -1) * Math.pow(10, -12 + 14 * random.nextDouble());
            worst = Math.max(worst, relativeError(DDA.tanh(DD.of(x)), DFP.of(x).tanh()));
        }
        assertTrue(worst < 0x1p-98, "worst relative error of DD tanh: " + worst);
        assertEquals(1.0, DDA.toDouble(DDA.tanh(DD.of(1000))));
        assertEquals(-1.0, DDA.toDouble(DDA.tanh(DD.of(-1000))));
    }

    @Test
    void sinCosLogPowAgreeWithDfp() {
        SplittableRandom random = new SplittableRandom(13);
        double worstTrig = 0, worstLog = 0;
        for (int t = 0; t < 300; t++) {
            double x = (random.nextDouble() - 0.5) * 2 * 8192;   // rotary angles: position times frequency
            Dfp dx = DFP.of(x);
            // absolute error for sin and cos (relative near a zero is meaningless)
            worstTrig = Math.max(worstTrig, Math.abs(DFP.toDouble(DFP.of(DDA.sin(DD.of(x)).hi())
                    .add(DFP.of(DDA.sin(DD.of(x)).lo())).subtract(dx.sin()))));
            worstTrig = Math.max(worstTrig, Math.abs(DFP.toDouble(DFP.of(DDA.cos(DD.of(x)).hi())
                    .add(DFP.of(DDA.cos(DD.of(x)).lo())).subtract(dx.cos()))));
            double y = Math.pow(10, -5 + 10 * random.nextDouble());
            worstLog = Math.max(worstLog, Math.abs(DFP.toDouble(DFP.of(DDA.log(DD.of(y)).hi())
                    .add(DFP.of(DDA.log(DD.of(y)).lo())).subtract(DFP.of(y).log()))));
        }
        assertTrue(worstTrig < 0x1p-90, "worst absolute error of DD sin/cos on |x| <= 8192: " + worstTrig);
        assertTrue(worstLog < 0x1p-95, "worst absolute error of DD log: " + worstLog);
        double worstPow = 0;
        for (int t = 0; t < 32; t++) {
            DD e = DD.of(-2.0 * t).divide(64);
            Dfp exact = DFP.of(10000).pow(DFP.of(-2.0 * t).divide(DFP.of(64)));
            worstPow = Math.max(worstPow, relativeError(DDA.pow(DD.of(10000), e), exact));
        }
        assertTrue(worstPow < 0x1p-95, "worst relative error of DD pow (rotary frequencies): " + worstPow);
    }
}
