package dev.attest.reports;

import dev.attest.reports.model.BenchSettings;
import dev.attest.reports.model.ConfigInfo;
import dev.attest.reports.timing.Sampler;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a report or bench run measures and how long it measures it. {@code quick} (the default) takes a few minutes
 * on 2 cores; {@code full} measures more shapes for longer; {@code tiny} exists for Attest's own tests.
 */
public enum Profile {
    QUICK(20, withPrecisions(List.of(config("mha-b1-h4-s64-d32", "accuracy", 1, 4, 4, 64, 32, false),
            config("gqa-b1-h8-kv2-s96-d48-causal", "accuracy", 1, 8, 2, 96, 48, true),
            config("mqa-b2-h4-kv1-s33-d59", "accuracy", 2, 4, 1, 33, 59, false)), precisions()),
            new int[]{64, 128, 256, 512}, new BenchSettings(null, "avgt", 1, 1, 200, 10, 200, 1,
                    new Sampler(300, 15_000, 50, 0, 0, 0))),
    FULL(100, withPrecisions(List.of(config("mha-b1-h4-s64-d32", "accuracy", 1, 4, 4, 64, 32, false),
            config("gqa-b1-h8-kv2-s96-d48-causal", "accuracy", 1, 8, 2, 96, 48, true),
            config("mqa-b2-h4-kv1-s33-d59", "accuracy", 2, 4, 1, 33, 59, false),
            config("mha-b1-h8-s128-d64", "accuracy", 1, 8, 8, 128, 64, false),
            config("gqa-b1-h8-kv4-s200-d64-causal", "accuracy", 1, 8, 4, 200, 64, true)), precisions()),
            new int[]{64, 128, 256, 512, 1024}, new BenchSettings(null, "avgt", 2, 2, 500, 10, 500, 1,
                    new Sampler(1_000, 30_000, 100, 0, 0, 0))),
    TINY(5, withPrecisions(List.of(config("tiny-b1-h2-s8-d4", "accuracy", 1, 2, 2, 8, 4, false),
            config("tiny-b1-h2-kv1-s12-d8-causal", "accuracy", 1, 2, 1, 12, 8, true)),
            List.of(dev.attest.spi.TensorTypes.withCache(dev.attest.reference.ElementType.BF16,
                    dev.attest.reference.ElementType.FP8_E4M3))),
            new int[]{8, 16, 32}, new BenchSettings(null, "avgt", 0, 1, 10, 6, 10, 1,
                    new Sampler(20, 2_000, 2, 0, 0, 0)));

    /**
     * The element types every profile also measures its first accuracy shape in, so that the accuracy-against-latency
     * chart shows what precision buys: bf16 and fp16 end to end, and bf16 over an fp8 (E4M3) KV cache.
     */
    private static List<dev.attest.spi.TensorTypes> precisions() {
        return List.of(dev.attest.spi.TensorTypes.uniform(dev.attest.reference.ElementType.BF16),
                dev.attest.spi.TensorTypes.uniform(dev.attest.reference.ElementType.FP16),
                dev.attest.spi.TensorTypes.withCache(dev.attest.reference.ElementType.BF16,
                        dev.attest.reference.ElementType.FP8_E4M3));
    }

    public final int tries;
    public final List<ConfigInfo> accuracyConfigs;
    public final int[] scalingLengths;
    public final BenchSettings bench;

    Profile(int tries, List<ConfigInfo> accuracyConfigs, int[] scalingLengths, BenchSettings bench) {
        this.tries = tries;
        this.accuracyConfigs = accuracyConfigs;
        this.scalingLengths = scalingLengths;
        this.bench = new BenchSettings(Latency.JMH_VERSION, bench.mode(), bench.forks(), bench.warmupIterations(),
                bench.warmupMillis(), bench.measurementIterations(), bench.measurementMillis(), bench.threads(), bench.warmup());
    }

    /** Cached lengths L of the KV-cache decode series (B = 1, Hq = Hkv = 4, D = 64; H = 2, D = 8 for tiny). */
    public int[] kvLengths() {
        return switch (this) {
            case QUICK -> new int[]{64, 128, 256, 512};
            case FULL -> new int[]{128, 256, 512, 1024, 2048, 4096};
            case TINY -> new int[]{8, 16};
        };
    }

    /**
     * The in-process timing of the KV-cache and linear-attention series (see {@link Sampler}): the fork's warm-up
     * rule, then at least 8 samples (15 in full) and at most 40 until the interval is narrow.
     */
    public Sampler timing() {
        Sampler w = bench.warmup();
        return switch (this) {
            case QUICK -> new Sampler(w.minWarmupMillis(), 10_000, 10, 8, 40, 3_000);
            case FULL -> new Sampler(w.minWarmupMillis(), 20_000, 25, 15, 60, 8_000);
            case TINY -> new Sampler(w.minWarmupMillis(), w.maxWarmupMillis(), 1, 6, 12, 500);
        };
    }

    /** The linear-attention sweep: error against m on one problem (S tokens, head dimension D, redraws). */
    public record LinearSweep(int length, int dim, int[] features, int redraws) {
    }

    public LinearSweep linearSweep() {
        return switch (this) {
            case QUICK -> new LinearSweep(64, 32, new int[]{8, 16, 32, 64, 128, 256}, 4);
            case FULL -> new LinearSweep(128, 32, new int[]{8, 16, 32, 64, 128, 256, 512, 1024}, 6);
            case TINY -> new LinearSweep(8, 4, new int[]{4, 8}, 2);
        };
    }

    /**
     * Linear against softmax as the sequence grows (see {@link LengthSweep}): softmax up to where a call takes
     * seconds on a 2-core machine, linear further; m = 64 features; its own sampler, whose longer budget gets six or
     * more samples of a call that takes a second.
     */
    LengthSweep.Settings lengthSweep() {
        Sampler w = bench.warmup();
        return switch (this) {
            case QUICK -> new LengthSweep.Settings(lengths(256, 4096), lengths(256, 8192), 4, 64, 64, 128, 1_000,
                    new Sampler(w.minWarmupMillis(), 10_000, 20, 8, 30, 4_000));
            case FULL -> new LengthSweep.Settings(lengths(256, 32768), lengths(256, 65536), 4, 64, 64, 128, 6_000,
                    new Sampler(w.minWarmupMillis(), 30_000, 50, 10, 40, 30_000));
            case TINY -> new LengthSweep.Settings(lengths(16, 64), lengths(16, 128), 2, 8, 8, 8, 200,
                    new Sampler(w.minWarmupMillis(), w.maxWarmupMillis(), 1, 6, 12, 500));
        };
    }

    /** Powers of two from {@code from} to {@code to}. */
    private static int[] lengths(int from, int to) {
        return java.util.stream.IntStream.iterate(from, n -> n <= to, n -> n * 2).toArray();
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The scaling series: B=1, Hq=Hkv=4, D=64 (D=8 for tiny), Sq=Skv=L for each length. */
    public List<ConfigInfo> scalingConfigs() {
        List<ConfigInfo> out = new ArrayList<>();
        int d = this == TINY ? 8 : 64;
        for (int length : scalingLengths) {
            out.add(config(String.format(Locale.ROOT, "scaling-h4-d%d-s%04d", d, length), "scaling", 1, 4, 4, length, d,
                    false));
        }
        return out;
    }

    public List<ConfigInfo> allConfigs() {
        List<ConfigInfo> all = new ArrayList<>(accuracyConfigs);
        all.addAll(scalingConfigs());
        return all;
    }

    public static Profile parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException("unknown profile '" + text + "'; known profiles: quick, full");
        }
    }

    static ConfigInfo config(String name, String kind, int b, int hq, int hkv, int s, int d, boolean causal) {
        // the field's convention (FlashAttention's benchmarks, tritonbench): 4·B·H·Sq·Skv·D, halved for causal
        long flops = 4L * b * hq * s * s * d / (causal ? 2 : 1);
        return new ConfigInfo(name, kind, b, hq, hkv, s, s, d, causal, flops, "fp32");
    }

    /** The fp32 configs, then the first of them in each of {@code types} (named with a suffix: "-bf16", "-bf16-kv-fp8_e4m3"). */
    private static List<ConfigInfo> withPrecisions(List<ConfigInfo> fp32, List<dev.attest.spi.TensorTypes> types) {
        List<ConfigInfo> all = new ArrayList<>(fp32);
        ConfigInfo c = fp32.getFirst();
        for (dev.attest.spi.TensorTypes t : types) {
            String suffix = t.query() == t.key() ? t.query().token() : t.query().token() + "-kv-" + t.key().token();
            all.add(new ConfigInfo(c.name() + "-" + suffix, c.kind(), c.batch(), c.qHeads(), c.kvHeads(), c.qLength(),
                    c.kvLength(), c.headDim(), c.causal(), c.flops(), t.toString()));
        }
        return List.copyOf(all);
    }
}
