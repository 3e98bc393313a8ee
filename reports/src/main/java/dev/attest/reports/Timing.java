package dev.attest.reports;

import java.util.Arrays;

/**
 * A simple in-process timing loop, for the per-length series (KV-cache decode, linear attention over m) where a JMH
 * fork per point would cost more than the quick profile's budget: warm up for {@code warmupMillis} (at least one
 * call), size a batch so that one sample lasts at least {@code sampleMillis}, take {@code samples} batches and keep
 * the median per call, which a burst of load on a shared machine moves far less than a mean.
 */
public record Timing(long warmupMillis, int samples, long sampleMillis) {

    /** The median time of one {@code op} call, in milliseconds. */
    public double medianMillis(Runnable op) {
        long warmupEnd = System.nanoTime() + warmupMillis * 1_000_000L;
        long calls = 0;
        long start = System.nanoTime();
        do {
            op.run();
            calls++;
        } while (System.nanoTime() < warmupEnd);
        double perCall = Math.max(1, (System.nanoTime() - start) / (double) calls);
        long batch = Math.max(1, (long) Math.ceil(sampleMillis * 1e6 / perCall));
        double[] perCallMillis = new double[samples];
        for (int s = 0; s < samples; s++) {
            long t0 = System.nanoTime();
            for (long i = 0; i < batch; i++) op.run();
            perCallMillis[s] = (System.nanoTime() - t0) / 1e6 / batch;
        }
        Arrays.sort(perCallMillis);
        int n = perCallMillis.length;
        return n % 2 == 1 ? perCallMillis[n / 2] : (perCallMillis[n / 2 - 1] + perCallMillis[n / 2]) / 2;
    }
}
