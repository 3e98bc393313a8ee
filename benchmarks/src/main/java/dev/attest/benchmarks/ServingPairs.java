package dev.attest.benchmarks;

import java.util.Arrays;
import java.util.Locale;

/**
 * {@link ServingBenchmark}'s two comparisons as paired ratios in one JVM: on a shared 2-vCPU machine the JMH forks of
 * one configuration differ by up to 1.7x (memory bandwidth and placement vary between forks), more than the 10% the
 * paged-decode target asks to resolve. Here each round times a batch of A then a batch of B (alternating which goes
 * first), after both are warm, and keeps B/A of the round: noise that lasts longer than a round cancels in the
 * ratio. Reported: the median ratio with its distribution-free 95% interval (order statistics of the rounds).
 *
 * <pre>
 * ./build -pl benchmarks -am package -DskipTests
 * flock /tmp/attest-bench.lock java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *     dev.attest.benchmarks.ServingPairs [--packed RUNS]
 * </pre>
 *
 * With {@code --packed RUNS} only the packed batch is timed, RUNS times 61 rounds, each run reported and then all
 * rounds pooled: the ratio drifts between runs by more than one run's interval (the machine's state changes), which
 * the pooled median over several minutes averages.
 */
public final class ServingPairs {
    private static final int ROUNDS = 61;

    private ServingPairs() {
    }

    public static void main(String[] args) {
        System.out.println("Vector API float lanes: " + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length()
                + ", " + Runtime.getRuntime().availableProcessors() + " processors");
        if (args.length == 2 && args[0].equals("--packed")) {
            packedRuns(Integer.parseInt(args[1]));
            return;
        }
        for (int length : new int[]{1024, 4096}) {
            Runnable contiguous = decodeStep(length, 0), paged = decodeStep(length, 16);
            report("decode L=" + length + ": paged (blocks of 16) / contiguous", ratios(contiguous, paged, 200));
        }
        ServingBenchmark.Packed p = new ServingBenchmark.Packed();
        p.setUp();
        ServingBenchmark bench = new ServingBenchmark();
        report("packed batch / its sequences one by one", ratios(() -> bench.oneByOne(p), () -> bench.packed(p), 2));
        // the same sequences one by one, but as views into the packed tensors: what the packed layout alone costs
        dev.attest.reference.AttentionProblem[] views = new dev.attest.reference.AttentionProblem[p.alone.length];
        for (int b = 0; b < views.length; b++) views[b] = p.packed.sequenceView(b);
        report("the sequences one by one as views of the packed tensors / as dense copies", ratios(
                () -> bench.oneByOne(p), () -> {
                    for (int b = 0; b < views.length; b++) p.backend.attention(views[b], p.aloneOut[b]);
                }, 2));
    }

    /** The packed batch against its sequences one by one, {@code runs} times, then every round pooled. */
    private static void packedRuns(int runs) {
        ServingBenchmark.Packed p = new ServingBenchmark.Packed();
        p.setUp();
        ServingBenchmark bench = new ServingBenchmark();
        double[] pooled = new double[0];
        for (int run = 0; run < runs; run++) {
            double[] r = ratios(() -> bench.oneByOne(p), () -> bench.packed(p), 2);
            report("run " + (run + 1) + ": packed batch / its sequences one by one", r);
            pooled = Arrays.copyOf(pooled, pooled.length + r.length);
            System.arraycopy(r, 0, pooled, pooled.length - r.length, r.length);
        }
        report("pooled: packed batch / its sequences one by one", pooled);
    }

    /** One decode step over {@code length} cached tokens (rolled back after), as {@link ServingBenchmark#decode}. */
    private static Runnable decodeStep(int length, int blockSize) {
        ServingBenchmark.Cache c = new ServingBenchmark.Cache();
        c.cachedLength = length;
        c.blockSize = blockSize;
        c.setUp();
        ServingBenchmark bench = new ServingBenchmark();
        return () -> bench.decode(c);
    }

    /** B/A per round, after warming both; each round times {@code calls} calls of each, alternating the order. */
    private static double[] ratios(Runnable a, Runnable b, int calls) {
        for (long end = System.nanoTime() + 8_000_000_000L; System.nanoTime() < end; ) {
            time(a, calls);
            time(b, calls);
        }
        double[] r = new double[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) {
            boolean aFirst = i % 2 == 0;
            long ta = aFirst ? time(a, calls) : 0, tb = time(b, calls);
            if (!aFirst) ta = time(a, calls);
            r[i] = (double) tb / ta;
        }
        return r;
    }

    private static long time(Runnable r, int calls) {
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) r.run();
        return System.nanoTime() - t0;
    }

    /** Median and the order-statistic 95% interval of the median (ranks n/2 -+ 1.96 sqrt(n)/2). */
    private static void report(String what, double[] ratios) {
        double[] x = ratios.clone();
        Arrays.sort(x);
        int n = x.length, half = (int) Math.ceil(1.96 * Math.sqrt(n) / 2);
        System.out.printf(Locale.ROOT, "%s: %.3f [%.3f, %.3f] (median of %d paired rounds, 95%%)%n", what, x[n / 2],
                x[Math.max(0, n / 2 - half)], x[Math.min(n - 1, n / 2 + half)], n);
    }
}
