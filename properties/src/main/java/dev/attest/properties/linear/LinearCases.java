package dev.attest.properties.linear;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import dev.attest.linear.FeatureMap;
import dev.attest.linear.UpdateRule;
import dev.attest.properties.engine.Arbitrary;
import dev.attest.properties.engine.CaseRandom;
import dev.attest.properties.engine.PropertyRunner;
import dev.attest.spi.LinearCapabilities;
import dev.attest.spi.LinearFeature;
import org.opentest4j.TestAbortedException;

/**
 * Linear-attention cases a backend declares it supports: generated small first, growing with the size, and shrunk
 * in domain terms (fewer heads, shorter sequences, narrower heads, fewer features, no carried state). A property
 * narrows them with {@link #filter} and reshapes them with {@link #finishing}; every candidate still fits the
 * capabilities.
 */
public final class LinearCases implements Arbitrary<LinearCase> {
    private final LinearCapabilities caps;
    private final Predicate<LinearCase> filter;
    private final UnaryOperator<LinearCase> finish;

    private LinearCases(LinearCapabilities caps, Predicate<LinearCase> filter, UnaryOperator<LinearCase> finish) {
        this.caps = caps;
        this.filter = filter;
        this.finish = finish;
    }

    public static LinearCases supportedBy(LinearCapabilities caps) {
        return new LinearCases(caps, c -> true, UnaryOperator.identity());
    }

    /** Only cases satisfying {@code condition} (generation retries; use for conditions that hold often). */
    public LinearCases filter(Predicate<LinearCase> condition) {
        return new LinearCases(caps, filter.and(condition), finish);
    }

    /** Applies {@code step} after generation and to every shrink candidate. */
    public LinearCases finishing(UnaryOperator<LinearCase> step) {
        UnaryOperator<LinearCase> before = finish;
        return new LinearCases(caps, filter, c -> step.apply(before.apply(c)));
    }

    private boolean ok(LinearCase c) {
        return c != null && c.fits(caps) && filter.test(c);
    }

    @Override
    public LinearCase generate(CaseRandom random, int size) {
        for (int attempt = 0; attempt < 200; attempt++) {
            LinearCase c = finish.apply(draw(random, size));
            if (ok(c)) return c;
        }
        // the declared forms, rules and maps do not combine into what the property needs (say NORMALIZED declared
        // with only the IDENTITY map): the property cannot run here, which is not the backend's failure
        throw new TestAbortedException("unsupported: no linear case fits the declared capabilities " + caps
                + " and what this property needs");
    }

    private LinearCase draw(CaseRandom random, int size) {
        int grow = Math.max(1, size * 8 / PropertyRunner.MAX_SIZE);      // 1..8
        List<UpdateRule> rules = List.copyOf(caps.rules());
        UpdateRule rule = rules.get(random.nextInt(rules.size()));
        boolean causal = rule != UpdateRule.LINEAR || !caps.supports(LinearFeature.NON_CAUSAL)
                || (caps.supports(LinearFeature.CAUSAL) && random.nextBoolean());
        boolean normalized = rule == UpdateRule.LINEAR && caps.supports(LinearFeature.NORMALIZED)
                && (!caps.supports(LinearFeature.UNNORMALIZED) || random.nextBoolean());
        List<FeatureMap.Kind> maps = new ArrayList<>();
        for (FeatureMap.Kind k : caps.maps()) {
            if (rule.delta() && k != FeatureMap.Kind.IDENTITY) continue;
            if (normalized && k != FeatureMap.Kind.ELU_PLUS_ONE && k != FeatureMap.Kind.FAVOR_POSITIVE) continue;
            maps.add(k);
        }
        FeatureMap.Kind map = maps.isEmpty() ? FeatureMap.Kind.IDENTITY : maps.get(random.nextInt(maps.size()));
        boolean gqa = caps.supports(LinearFeature.GROUPED_QUERY_HEADS) && random.nextBoolean();
        int kvHeads = random.nextInt(1, 2);
        int qHeads = kvHeads * (gqa ? random.nextInt(2, 3) : 1);
        return new LinearCase(random.nextInt(1, 2), qHeads, kvHeads, random.nextInt(1, 1 + grow + 4),
                random.nextInt(1, 2 + grow / 2), random.nextInt(1, 2 + grow / 2), causal, map, random.nextBoolean(),
                random.nextInt(1, 2 + grow), rule, normalized,
                caps.supports(LinearFeature.INITIAL_STATE) && random.nextInt(3) == 0, random.nextLong());
    }

    @Override
    public Stream<LinearCase> shrink(LinearCase c) {
        List<LinearCase> out = new ArrayList<>();
        if (c.withState()) out.add(c.withOptions(c.causal(), c.normalized(), false));
        if (c.batch() > 1) out.add(c.withDims(1, c.qHeads(), c.kvHeads(), c.length(), c.kDim(), c.vDim()));
        if (c.qHeads() > c.kvHeads()) out.add(c.withDims(c.batch(), c.kvHeads(), c.kvHeads(), c.length(), c.kDim(), c.vDim()));
        if (c.kvHeads() > 1) out.add(c.withDims(c.batch(), c.qHeads() / c.kvHeads(), 1, c.length(), c.kDim(), c.vDim()));
        for (int s : new int[]{1, c.length() / 2, c.length() - 1})
            if (s >= 1 && s < c.length()) out.add(c.withDims(c.batch(), c.qHeads(), c.kvHeads(), s, c.kDim(), c.vDim()));
        for (int d : new int[]{1, c.kDim() - 1})
            if (d >= 1 && d < c.kDim()) out.add(c.withDims(c.batch(), c.qHeads(), c.kvHeads(), c.length(), d, c.vDim()));
        for (int d : new int[]{1, c.vDim() - 1})
            if (d >= 1 && d < c.vDim()) out.add(c.withDims(c.batch(), c.qHeads(), c.kvHeads(), c.length(), c.kDim(), d));
        boolean random = c.map() == FeatureMap.Kind.FAVOR_POSITIVE || c.map() == FeatureMap.Kind.FAVOR_TRIG;
        if (c.orthogonal() && random) out.add(c.withMap(c.map(), false, c.randomFeatures()));
        if (random) for (int m : new int[]{1, c.randomFeatures() / 2, c.randomFeatures() - 1})
            if (m >= 1 && m < c.randomFeatures()) out.add(c.withMap(c.map(), c.orthogonal(), m));
        return out.stream().map(finish).filter(this::ok).filter(x -> !x.equals(c)).distinct();
    }

    @Override
    public long measure(LinearCase value) {
        return value.measure();
    }

    @Override
    public String describe(LinearCase c) {
        return c.toString();
    }

    @Override
    public List<String> classify(LinearCase c) {
        List<String> labels = new ArrayList<>();
        labels.add(c.causal() ? "causal" : "non-causal");
        labels.add(c.rule().name().toLowerCase(java.util.Locale.ROOT));
        labels.add(c.map().name().toLowerCase(java.util.Locale.ROOT));
        if (c.normalized()) labels.add("normalised");
        if (c.qHeads() != c.kvHeads()) labels.add("gqa");
        if (c.withState()) labels.add("carried state");
        return labels;
    }
}
