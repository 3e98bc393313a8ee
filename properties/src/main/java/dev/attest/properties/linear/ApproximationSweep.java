package dev.attest.properties.linear;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.LinearProblem;
import dev.attest.linear.LinearSpec;
import dev.attest.linear.UpdateRule;
import dev.attest.oracle.OracleResult;
import dev.attest.reference.Tensor;
import dev.attest.spi.LinearAttentionBackend;

/**
 * The linear-vs-softmax approximation sweep, as data the reports can plot: for a random-feature map, the error of
 * the linear-attention output against exact softmax attention (softmax oracle, same Q, K, V, default scale) as the
 * number of features m grows and as the sequence length grows, each point averaged over seeded redraws of the
 * features, with the kernel-level theory curve of Lemma 2 beside it.
 *
 * <p>Data: Q, K, V uniform in [-1, 1] from {@link Config#dataSeed}; redraw r uses feature seed
 * {@code dataSeed + 1000003·(r+1)}. Deterministic for a given config.
 */
public final class ApproximationSweep {
    private ApproximationSweep() {
    }

    /** What was swept. {@code map} is FAVOR_POSITIVE or FAVOR_TRIG. */
    public record Config(String backend, FeatureMap.Kind map, boolean orthogonal, boolean causal, int kDim, int vDim,
                         int redraws, long dataSeed) {
    }

    /**
     * One point: the mean over redraws of the output's max-abs error and relative RMS error against softmax, and of
     * the kernel's relative MSE {@code E[(φ(q')ᵀφ(k') − SM)²]/SM²} over all (query, key) pairs, empirical and from
     * Lemma 2 (i.i.d. features; NaN where no closed form applies — orthogonal features have a smaller, not closed,
     * MSE).
     */
    public record Point(Config config, int features, int length, double maxAbsError, double relativeRms,
                        double kernelRelativeMse, double theoryKernelRelativeMse) {
    }

    /** The whole sweep: error against m at a fixed length, and against length at a fixed m. */
    public record Result(Config config, List<Point> byFeatures, List<Point> byLength) {
        /** A plain-text table, one point a line. */
        public String table() {
            StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-10s %6s %6s %12s %12s %14s %14s%n",
                    "sweep", "m", "S", "max-abs", "rel-RMS", "kernel-MSE", "Lemma2-MSE"));
            for (Point p : byFeatures) out.append(line("by m", p));
            for (Point p : byLength) out.append(line("by S", p));
            return out.toString();
        }

        private static String line(String sweep, Point p) {
            return String.format(Locale.ROOT, "%-10s %6d %6d %12.4g %12.4g %14.4g %14.4g%n", sweep, p.features(),
                    p.length(), p.maxAbsError(), p.relativeRms(), p.kernelRelativeMse(), p.theoryKernelRelativeMse());
        }
    }

    /** Runs the sweep on {@code backend} (which must declare the map, NORMALIZED and the chosen form). */
    public static Result run(LinearAttentionBackend backend, Config config, int[] features, int fixedLength,
                             int[] lengths, int fixedFeatures) {
        Function<LinearProblem, Tensor> runner = p -> {
            Tensor out = p.allocateOutput();
            backend.forward(p, out);
            return out;
        };
        List<Point> byM = new ArrayList<>();
        for (int m : features) byM.add(point(runner, config, m, fixedLength));
        List<Point> byS = new ArrayList<>();
        for (int s : lengths) byS.add(point(runner, config, fixedFeatures, s));
        return new Result(config, List.copyOf(byM), List.copyOf(byS));
    }

    /** One averaged point. */
    public static Point point(Function<LinearProblem, Tensor> runner, Config c, int m, int length) {
        LinearProblem base = problem(c, m, length, c.dataSeed() + 1000003L);
        OracleResult softmax = LinearAttentionContract.softmaxOracle(base);
        double maxAbs = 0, rms = 0, kernel = 0;
        for (int r = 0; r < c.redraws(); r++) {
            LinearProblem p = problem(c, m, length, c.dataSeed() + 1000003L * (r + 1));
            float[] out = runner.apply(p).toArray();
            double worst = 0, se = 0, sr = 0;
            for (int i = 0; i < out.length; i++) {
                double e = out[i] - softmax.values()[i];
                worst = Math.max(worst, Math.abs(e));
                se += e * e;
                sr += softmax.values()[i] * softmax.values()[i];
            }
            maxAbs += worst;
            rms += Math.sqrt(se / sr);
            kernel += kernelMse(p, false);
        }
        double theory = c.orthogonal() ? Double.NaN : kernelMse(base, true);
        return new Point(c, m, length, maxAbs / c.redraws(), rms / c.redraws(), kernel / c.redraws(), theory);
    }

    /** Mean relative RMS error against softmax for each m (the series the contract's A1 property checks). */
    static double[] meanErrors(Function<LinearProblem, Tensor> runner, boolean causal, int batch, int heads, int length,
                               int kDim, int vDim, int[] features, int redraws, long seed) {
        Config c = new Config("", FeatureMap.Kind.FAVOR_POSITIVE, true, causal, kDim, vDim, redraws, seed);
        double[] out = new double[features.length];
        for (int i = 0; i < features.length; i++) out[i] = point(runner, c, features[i], length).relativeRms();
        return out;
    }

    static LinearProblem problem(Config c, int m, int length, long featureSeed) {
        FeatureMap map = c.map() == FeatureMap.Kind.FAVOR_TRIG
                ? FeatureMap.favorTrig(c.kDim(), m, featureSeed, c.orthogonal())
                : FeatureMap.favorPositive(c.kDim(), m, featureSeed, c.orthogonal());
        LinearCase data = new LinearCase(1, 1, 1, length, c.kDim(), c.vDim(), c.causal(), FeatureMap.Kind.ELU_PLUS_ONE,
                false, 1, UpdateRule.LINEAR, true, false, c.dataSeed());
        LinearProblem p = data.materialize();
        LinearSpec spec = p.spec().withFeatureMap(map);
        return new LinearProblem(spec, p.query(), p.key(), p.value(), null, null, null);
    }

    /** Mean over (query, key) pairs of the kernel's relative squared error: empirical for p's map, or Lemma 2. */
    static double kernelMse(LinearProblem p, boolean theory) {
        LinearSpec s = p.spec();
        FeatureMap.Random map = (FeatureMap.Random) s.featureMap();
        double c = map.inputScale();
        double sum = 0;
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            double[] q = scaledRow(p.query(), i, c);
            for (int j = 0; j < s.length(); j++) {
                double[] k = scaledRow(p.key(), j, c);
                double sm = FavorStatistics.softmaxKernel(q, k);
                double mse;
                if (theory) {
                    mse = map instanceof FeatureMap.TrigRandom ? FavorStatistics.lemma2Trig(q, k, map.features())
                            : FavorStatistics.lemma2Positive(q, k, map.features());
                } else {
                    double[] unscaledQ = scaledRow(p.query(), i, 1), unscaledK = scaledRow(p.key(), j, 1);
                    double e = FavorStatistics.dot(map.apply(unscaledQ), map.apply(unscaledK)) - sm;
                    mse = e * e;
                }
                sum += mse / (sm * sm);
                n++;
            }
        }
        return sum / n;
    }

    private static double[] scaledRow(Tensor t, int i, double c) {
        double[] out = new double[t.dim(3)];
        for (int d = 0; d < out.length; d++) out[d] = c * t.get(0, 0, i, d);
        return out;
    }
}
