package dev.attest.reports.timing;

import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.regression.SimpleRegression;

import java.util.List;
import java.util.Locale;

/**
 * A power law y ≈ c·x^e fitted by least squares on log x, log y, with the exponent's 95% interval (Student t on
 * n − 2 degrees of freedom) and R². Fitted only through reliable points, and only with at least {@link #MIN_POINTS}
 * of them: two points always fit perfectly and say nothing about the fit.
 */
public record LogLogFit(double exponent, double low, double high, double rSquared, int points, double logIntercept) {
    public static final int MIN_POINTS = 3;

    /** The fit through {@code points} (x, y pairs, both positive), or null with fewer than {@link #MIN_POINTS}. */
    public static LogLogFit of(List<double[]> points) {
        SimpleRegression r = new SimpleRegression();
        int n = 0;
        for (double[] p : points) {
            if (!(p[0] > 0 && p[1] > 0)) continue;
            r.addData(Math.log(p[0]), Math.log(p[1]));
            n++;
        }
        if (n < MIN_POINTS) return null;
        double slope = r.getSlope(), se = r.getSlopeStdErr();
        double t = new TDistribution(null, n - 2).inverseCumulativeProbability(0.975);
        double half = Double.isFinite(se) ? t * se : Double.POSITIVE_INFINITY;
        double r2 = r.getRSquare();
        return new LogLogFit(slope, slope - half, slope + half, Double.isFinite(r2) ? r2 : 1, n, r.getIntercept());
    }

    /** The fitted y at {@code x}. */
    public double at(double x) {
        return Math.exp(logIntercept + exponent * Math.log(x));
    }

    /** "1.98 ± 0.04 (R² 0.999, 4 points)". */
    public String describe() {
        return String.format(Locale.ROOT, "%.2f ± %.2f (R² %.3f, %d points)", exponent, (high - low) / 2, rSquared, points);
    }
}
