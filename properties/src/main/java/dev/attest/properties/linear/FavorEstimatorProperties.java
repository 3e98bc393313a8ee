package dev.attest.properties.linear;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import dev.attest.linear.FeatureMap;
import dev.attest.properties.engine.Arbitrary;
import dev.attest.properties.engine.CaseCheck;
import dev.attest.properties.engine.CaseRandom;
import dev.attest.properties.engine.Facts;
import dev.attest.properties.engine.PropertyDescription;
import dev.attest.properties.engine.PropertyRunner;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Statistical properties of the random feature maps themselves (no backend involved), clause F1: the FAVOR+
 * estimate of the softmax kernel is unbiased and has the MSE of Lemma 2; MSE falls as 1/m; orthogonal features beat
 * i.i.d. ones. See {@link FavorStatistics} for the closed forms and their derivation.
 *
 * <p><b>Confidence bounds.</b> Each check compares a mean over R independent redraws with its expectation, allowing
 * {@value #Z} standard errors, the standard error estimated from the same redraws (sample sd/√R). Under the CLT a
 * two-sided 5σ deviation has probability 5.7e-7 per check, so over the 100 cases of a run a correct map fails with
 * probability below 1e-4; a wrong map (missing −‖x‖²/2, unscaled, wrong χ norms) is off by many standard errors. The
 * CLT needs moderate tails: the inputs are kept at ‖x‖, ‖y‖ ≤ 0.5 (so ‖x+y‖² ≤ 1, the lognormal features have
 * finite moments of every order and modest kurtosis) and m ≥ 4. A numpy simulation of exactly these checks over 300
 * random configurations gave a largest |z| of 3.4. The seeds are fixed (the run seed and the case seeds), so CI is
 * deterministic; {@code -Dattest.seed=random} explores.
 */
@TestMethodOrder(MethodOrderer.MethodName.class)
public class FavorEstimatorProperties {
    /** Standard errors allowed (two-sided). */
    public static final double Z = 5;
    /** Redraws per estimate. */
    public static final int REDRAWS = 2000;

    /** A kernel-estimation case: x, y of width d and m features. */
    public record KernelCase(int d, int m, double[] x, double[] y, long seed) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "d=%d m=%d |x|=%.3f |y|=%.3f xy=%.4f seed=%d", d, m,
                    Math.sqrt(FavorStatistics.dot(x, x)), Math.sqrt(FavorStatistics.dot(y, y)),
                    FavorStatistics.dot(x, y), seed);
        }
    }

    /** d in [1, 6], m in [4, 16], x and y uniform in direction with norms uniform in [0, 0.5]; shrinks d and m. */
    static Arbitrary<KernelCase> kernelCases() {
        return new Arbitrary<>() {
            @Override
            public KernelCase generate(CaseRandom random, int size) {
                int d = random.nextInt(1, 6), m = random.nextInt(4, 16);
                return new KernelCase(d, m, vector(random, d, 0.5), vector(random, d, 0.5), random.nextLong());
            }

            @Override
            public Stream<KernelCase> shrink(KernelCase c) {
                List<KernelCase> out = new ArrayList<>();
                if (c.d() > 1) out.add(new KernelCase(c.d() - 1, c.m(), java.util.Arrays.copyOf(c.x(), c.d() - 1),
                        java.util.Arrays.copyOf(c.y(), c.d() - 1), c.seed()));
                if (c.m() > 4) out.add(new KernelCase(c.d(), Math.max(4, c.m() / 2), c.x(), c.y(), c.seed()));
                return out.stream();
            }

            @Override
            public List<String> classify(KernelCase c) {
                return List.of("d=" + c.d());
            }
        };
    }

    static double[] vector(CaseRandom random, int d, double maxNorm) {
        double[] v = new double[d];
        double n = 0;
        for (int i = 0; i < d; i++) {
            v[i] = random.nextGaussian();
            n += v[i] * v[i];
        }
        double r = maxNorm * random.nextDouble() / Math.sqrt(n);
        for (int i = 0; i < d; i++) v[i] *= r;
        return v;
    }

    FeatureMap.Random map(boolean positive, KernelCase c, int m, boolean orthogonal) {
        return randomMap(positive, c.d(), m, c.seed(), orthogonal);
    }

    /**
     * The random map under test, estimating the raw kernel {@code exp(xᵀy)} (input scale 1). Override to check
     * another configuration of the maps; the planted-bug test overrides it with a mis-scaled map.
     */
    protected FeatureMap.Random randomMap(boolean positive, int d, int m, long seed, boolean orthogonal) {
        return positive ? new FeatureMap.PositiveRandom(d, m, seed, orthogonal, 1)
                : new FeatureMap.TrigRandom(d, m, seed, orthogonal, 1);
    }

    /**
     * FAVOR+ positive and trigonometric features, i.i.d. and orthogonal, are unbiased: the mean of 2000 redrawn
     * estimates of exp(xᵀy) lies within 5 standard errors of exp(xᵀy) (bound derived in the class comment).
     * If this fails, check: the −‖x‖²/2 term or the exp(‖x‖²/2) prefactor; the 1/√m normalisation; orthogonal rows
     * not rescaled by χ(d) norms (unit rows make the estimator biased).
     */
    @Test
    public void stochastic_F1_favor_estimates_of_exp_xy_are_unbiased() {
        property("stochastic_F1_favor_estimates_of_exp_xy_are_unbiased", c -> {
            double sm = FavorStatistics.softmaxKernel(c.x(), c.y());
            for (boolean positive : new boolean[]{true, false}) {
                for (boolean orthogonal : new boolean[]{false, true}) {
                    FeatureMap.Random map = map(positive, c, c.m(), orthogonal);
                    var stats = FavorStatistics.MeanAndError.of(FavorStatistics.estimates(map, c.x(), c.y(),
                            REDRAWS, c.seed()));
                    double bound = Z * stats.standardError() + 1e-12 * sm;
                    if (!(Math.abs(stats.mean() - sm) <= bound)) {
                        throw new AssertionError(Facts.of().add("failure", "the estimate is biased")
                                .add("map", map.describe()).add("exp(xy)", sm).add("mean of estimates", stats.mean())
                                .add("standard error", stats.standardError()).add("bound (5 SE)", bound).toString());
                    }
                }
            }
        });
    }

    /**
     * The empirical MSE of 2000 redraws of m i.i.d. features agrees with Lemma 2's closed form, for positive and for
     * trigonometric features, within 5 standard errors of the empirical MSE (the squared errors are i.i.d., so the
     * CLT applies to their mean; bound derived in the class comment).
     * If this fails, check: features drawn with the wrong variance; features shared across redraws; the trig
     * features missing the sin half.
     */
    @Test
    public void stochastic_F1_the_empirical_mse_agrees_with_lemma_2() {
        property("stochastic_F1_the_empirical_mse_agrees_with_lemma_2", c -> {
            double sm = FavorStatistics.softmaxKernel(c.x(), c.y());
            for (boolean positive : new boolean[]{true, false}) {
                FeatureMap.Random map = map(positive, c, c.m(), false);
                var mse = FavorStatistics.MeanAndError.of(FavorStatistics.squaredErrors(
                        FavorStatistics.estimates(map, c.x(), c.y(), REDRAWS, c.seed()), sm));
                double theory = positive ? FavorStatistics.lemma2Positive(c.x(), c.y(), c.m())
                        : FavorStatistics.lemma2Trig(c.x(), c.y(), c.m());
                double bound = Z * mse.standardError() + 1e-12 * sm * sm;
                if (!(Math.abs(mse.mean() - theory) <= bound)) {
                    throw new AssertionError(Facts.of().add("failure", "empirical MSE disagrees with Lemma 2")
                            .add("map", map.describe()).add("Lemma 2 MSE", theory).add("empirical MSE", mse.mean())
                            .add("standard error", mse.standardError()).add("bound (5 SE)", bound).toString());
                }
            }
        });
    }

    /**
     * The MSE falls as 1/m: with 4m features instead of m, the empirical MSE ratio MSE(m)/MSE(4m) is 4 within
     * 5 combined relative standard errors (delta method: the relative SE of a ratio of independent means is
     * √(rse₁² + rse₂²); the check is |ln(ratio/4)| ≤ 5·that).
     * If this fails, check: a normalisation by 1/m instead of 1/√m per feature; m ignored when drawing.
     */
    @Test
    public void stochastic_F1_the_mse_falls_as_1_over_m() {
        property("stochastic_F1_the_mse_falls_as_1_over_m", c -> {
            double sm = FavorStatistics.softmaxKernel(c.x(), c.y());
            Cases.assumeNonDegenerate(c);
            var small = FavorStatistics.MeanAndError.of(FavorStatistics.squaredErrors(FavorStatistics.estimates(
                    map(true, c, c.m(), false), c.x(), c.y(), REDRAWS, c.seed()), sm));
            var large = FavorStatistics.MeanAndError.of(FavorStatistics.squaredErrors(FavorStatistics.estimates(
                    map(true, c, 4 * c.m(), false), c.x(), c.y(), REDRAWS, c.seed() + REDRAWS), sm));
            double ratio = small.mean() / large.mean();
            double rse = Math.hypot(small.standardError() / small.mean(), large.standardError() / large.mean());
            if (!(Math.abs(Math.log(ratio / 4)) <= Z * rse)) {
                throw new AssertionError(Facts.of().add("failure", "MSE did not fall as 1/m")
                        .add("MSE(m)", small.mean()).add("MSE(4m)", large.mean()).add("ratio", ratio)
                        .add("expected", 4).add("bound on |ln(ratio/4)|", Z * rse).toString());
            }
        });
    }

    /** Configurations of {@link #stochastic_F1_orthogonal_features_have_lower_mse_than_iid}: {d, m}. */
    static final int[][] ORTHOGONAL_CONFIGS = {{4, 4}, {4, 8}, {8, 8}, {8, 16}};
    /** Paired redraws per configuration. */
    static final int ORTHOGONAL_REDRAWS = 40_000;

    /**
     * Orthogonal positive features have lower MSE than i.i.d. ones (Performer Theorem 2), for x = y = 0.4·u
     * (u the unit diagonal) and (d, m) in {(4,4), (4,8), (8,8), (8,16)}. The draws are paired: the same seed gives the
     * i.i.d. block G and the orthogonal block diag(‖g_i‖)·GS(G), so the per-draw difference of squared errors
     * D_r = e²_iid − e²_ort has smaller variance. With 40,000 paired redraws, required: mean(D) ≥ 3 standard errors
     * (one-sided z = 3; under "no advantage" it passes with probability 1.3e-3). The fixed-seed run gives z = 7.4,
     * 8.8, 11.8 and 12.8 (a numpy simulation at 100,000 redraws gave 8.6 to 22.7), so a correct map clears the bar by
     * more than 4 standard errors. Fixed seeds: deterministic.
     * If this fails, check: the Gram–Schmidt step; orthogonal rows left at unit norm; blocks sharing rows.
     */
    @Test
    public void stochastic_F1_orthogonal_features_have_lower_mse_than_iid() {
        Facts facts = Facts.of();
        for (int[] config : ORTHOGONAL_CONFIGS) {
            int d = config[0], m = config[1];
            double[] x = new double[d];
            java.util.Arrays.fill(x, 0.4 / Math.sqrt(d));
            double sm = FavorStatistics.softmaxKernel(x, x);
            double[] difference = new double[ORTHOGONAL_REDRAWS];
            double iidSum = 0, ortSum = 0;
            FeatureMap.Random iid = randomMap(true, d, m, 0, false);
            FeatureMap.Random ort = randomMap(true, d, m, 0, true);
            for (int r = 0; r < ORTHOGONAL_REDRAWS; r++) {
                long seed = 20261123L + 7919L * r;
                FeatureMap a = iid.redraw(seed), b = ort.redraw(seed);
                double ea = FavorStatistics.dot(a.apply(x), a.apply(x)) - sm;
                double eb = FavorStatistics.dot(b.apply(x), b.apply(x)) - sm;
                difference[r] = ea * ea - eb * eb;
                iidSum += ea * ea;
                ortSum += eb * eb;
            }
            var stats = FavorStatistics.MeanAndError.of(difference);
            double z = stats.mean() / stats.standardError();
            facts.add("d=" + d + " m=" + m, String.format(Locale.ROOT, "MSE iid %.5f, orthogonal %.5f, z = %.2f",
                    iidSum / ORTHOGONAL_REDRAWS, ortSum / ORTHOGONAL_REDRAWS, z));
            if (!(z >= 3)) {
                throw new AssertionError("orthogonal features did not beat i.i.d. ones at z >= 3\n" + facts);
            }
        }
        System.out.println("[stochastic_F1_orthogonal_features_have_lower_mse_than_iid]\n" + facts);
    }

    private void property(String name, CaseCheck<KernelCase> check) {
        PropertyRunner.check(PropertyDescription.of(name, LinearClause.F1.cite(), "random feature maps"),
                kernelCases(), check);
    }

    /** Local helpers for assumptions. */
    static final class Cases {
        private Cases() {
        }

        /** The 1/m law is about a non-zero MSE: x + y = 0 makes positive features exact. */
        static void assumeNonDegenerate(KernelCase c) {
            double[] s = FavorStatistics.sum(c.x(), c.y(), 1);
            dev.attest.properties.engine.Cases.assume(FavorStatistics.dot(s, s) > 1e-4, "x + y is not ~0");
        }
    }
}
