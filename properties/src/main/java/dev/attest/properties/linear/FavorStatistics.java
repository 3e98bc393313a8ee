package dev.attest.properties.linear;

import dev.attest.linear.FeatureMap;

/**
 * The statistics behind the stochastic properties: redrawn random-feature estimates of the softmax kernel
 * {@code SM(x, y) = exp(xᵀy)} and the closed forms of Lemma 2 of "Rethinking Attention with Performers"
 * (Choromanski et al., ICLR 2021), for m i.i.d. features:
 *
 * <pre>
 *   positive:      MSE = (1/m)  · exp(‖x+y‖²) · SM(x,y)²  · (1 − exp(−‖x+y‖²))
 *   trigonometric: MSE = (1/2m) · exp(‖x+y‖²) · SM(x,y)⁻² · (1 − exp(−‖x−y‖²))²
 * </pre>
 * (Derivation, positive: one feature {@code Z = exp(wᵀ(x+y) − ‖x‖²/2 − ‖y‖²/2)}, {@code E Z = SM},
 * {@code E Z² = exp(‖x+y‖² + 2xᵀy)}, so {@code Var Z = SM²(exp(‖x+y‖²) − 1)}; trigonometric: {@code Z =
 * exp((‖x‖²+‖y‖²)/2) cos(wᵀ(x−y))}, {@code Var cos(wᵀu) = (1 − exp(−‖u‖²))²/2}; the m-average divides by m.)
 */
public final class FavorStatistics {
    private FavorStatistics() {
    }

    public static double softmaxKernel(double[] x, double[] y) {
        return Math.exp(dot(x, y));
    }

    public static double lemma2Positive(double[] x, double[] y, int m) {
        double s = dot(sum(x, y, 1), sum(x, y, 1));
        double sm = softmaxKernel(x, y);
        return Math.exp(s) * sm * sm * -Math.expm1(-s) / m;
    }

    public static double lemma2Trig(double[] x, double[] y, int m) {
        double s = dot(sum(x, y, 1), sum(x, y, 1));
        double diff = dot(sum(x, y, -1), sum(x, y, -1));
        double sm = softmaxKernel(x, y);
        double c = -Math.expm1(-diff);
        return Math.exp(s) / (sm * sm) * c * c / (2.0 * m);
    }

    /** {@code φ(x)ᵀφ(y)} for {@code redraws} independent redraws of {@code map} (seeds {@code seed + r}). */
    public static double[] estimates(FeatureMap map, double[] x, double[] y, int redraws, long seed) {
        double[] out = new double[redraws];
        for (int r = 0; r < redraws; r++) {
            FeatureMap drawn = map.redraw(seed + r);
            out[r] = dot(drawn.apply(x), drawn.apply(y));
        }
        return out;
    }

    /** Mean and the standard error of the mean (sample standard deviation / √n). */
    public record MeanAndError(double mean, double standardError) {
        public static MeanAndError of(double[] xs) {
            double mean = 0;
            for (double x : xs) mean += x;
            mean /= xs.length;
            double ss = 0;
            for (double x : xs) ss += (x - mean) * (x - mean);
            return new MeanAndError(mean, Math.sqrt(ss / (xs.length - 1) / xs.length));
        }
    }

    /** The squared errors {@code (X_r − target)²}. */
    public static double[] squaredErrors(double[] estimates, double target) {
        double[] out = new double[estimates.length];
        for (int i = 0; i < out.length; i++) out[i] = (estimates[i] - target) * (estimates[i] - target);
        return out;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static double[] sum(double[] a, double[] b, double sign) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i] + sign * b[i];
        return out;
    }
}
