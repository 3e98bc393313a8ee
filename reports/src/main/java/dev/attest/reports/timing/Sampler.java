package dev.attest.reports.timing;

import dev.attest.reports.model.Interval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Adaptive in-process timing: warm up until the timing has settled, then take samples until the median's interval
 * is narrow enough (or the budget is spent), checking the output of the timed calls after every sample.
 *
 * <p>Warm-up runs rounds of calls, each round a batch lasting at least {@code sampleMillis}. It has settled when,
 * after at least {@code minWarmupMillis} and {@value #WINDOW}·2 rounds, the median of the last {@value #WINDOW}
 * rounds is no more than {@value #SETTLED_IMPROVEMENT_PCT}% faster than that of the {@value #WINDOW} before: the JIT
 * has stopped making the code faster. A fixed count would be too short for a Vector API kernel that C2 compiles late
 * and too long for a plain loop. Warm-up that has not settled by {@code maxWarmupMillis} makes the figure unreliable.
 *
 * <p>Measurement takes at least {@code minSamples} batches and stops once the interval spans at most half of
 * {@link Intervals#MAX_RELATIVE_WIDTH} (a margin for the optional stop), at {@code maxSamples}, or when
 * {@code maxMeasureMillis} is spent.
 */
public record Sampler(long minWarmupMillis, long maxWarmupMillis, long sampleMillis, int minSamples, int maxSamples,
                      long maxMeasureMillis) {
    static final int WINDOW = 3;
    static final int SETTLED_IMPROVEMENT_PCT = 5;

    /** What is timed: one call, and optionally a check of its output after each sample (outside the timing). */
    public interface Workload {
        void call();

        /**
         * After warm-up, untimed: e.g. take the reference outputs with the compiled code; null when fine, else what is
         * wrong (then nothing is timed).
         */
        default String afterWarmUp() {
            return null;
        }

        /** Before each sample, untimed: e.g. poison the output so that a call that skips work cannot pass. */
        default void beforeSample() {
        }

        /** After each sample, untimed: null when the output of the timed calls is right, else what is wrong. */
        default String afterSample() {
            return null;
        }
    }

    /** How warm-up went: rounds, time, whether it settled, and the per-call time of its last round. */
    public record WarmUp(int rounds, double millis, boolean settled, double lastPerCallMillis) {
        /** Why a figure after this warm-up cannot be trusted, or null. */
        public String unsettledReason() {
            return settled ? null : String.format(Locale.ROOT, "warm-up did not settle in %.1f s (%d rounds): the"
                    + " timing was still falling", millis / 1000, rounds);
        }
    }

    /** The per-call timing, how warm-up went, and the first integrity failure (null when every check passed). */
    public record Result(Interval perCall, WarmUp warmUp, String integrityFailure) {
    }

    /** Warm-up alone (as a JMH fork's setup does before JMH's own iterations). */
    public WarmUp warmUp(Runnable call) {
        return warmUp(call, System::nanoTime);
    }

    /** Warm-up on the clock {@code nanos} (a test's own clock makes the decision deterministic). */
    WarmUp warmUp(Runnable call, java.util.function.LongSupplier nanos) {
        long start = nanos.getAsLong(), minEnd = start + minWarmupMillis * 1_000_000L,
                maxEnd = start + maxWarmupMillis * 1_000_000L;
        List<Double> perCall = new ArrayList<>();
        long batch = 1;
        while (true) {
            long t0 = nanos.getAsLong();
            for (long i = 0; i < batch; i++) call.run();
            long t1 = nanos.getAsLong();
            double millis = (t1 - t0) / 1e6 / batch;
            perCall.add(millis);
            batch = batchFor(millis);
            double elapsed = (t1 - start) / 1e6;
            if (t1 >= minEnd && settled(perCall)) return new WarmUp(perCall.size(), elapsed, true, millis);
            if (t1 >= maxEnd) return new WarmUp(perCall.size(), elapsed, false, millis);
        }
    }

    public Result measure(Workload w) {
        return measure(w, System::nanoTime);
    }

    /** {@link #measure(Workload)} on the clock {@code nanos}. */
    Result measure(Workload w, java.util.function.LongSupplier nanos) {
        WarmUp warm = warmUp(w::call, nanos);
        String warmFailure = w.afterWarmUp();
        if (warmFailure != null) {
            return new Result(new Interval(Double.NaN, Double.NaN, Double.NaN, 0, 0, warmFailure), warm, warmFailure);
        }
        long batch = batchFor(warm.lastPerCallMillis());
        long end = nanos.getAsLong() + maxMeasureMillis * 1_000_000L;
        List<Double> samples = new ArrayList<>();
        String integrity = null;
        Interval interval;
        while (true) {
            w.beforeSample();
            long t0 = nanos.getAsLong();
            for (long i = 0; i < batch; i++) w.call();
            long t1 = nanos.getAsLong();
            samples.add((t1 - t0) / 1e6 / batch);
            if (integrity == null) integrity = w.afterSample();
            interval = Intervals.of(samples);
            boolean narrow = samples.size() >= minSamples
                    && interval.relativeWidth() <= Intervals.MAX_RELATIVE_WIDTH / 2;
            if (narrow || samples.size() >= maxSamples || t1 >= end) break;
        }
        if (!warm.settled()) {                    // the first reason: a figure still falling is not the code's speed
            interval = new Interval(interval.median(), interval.low(), interval.high(), interval.confidence(),
                    interval.samples(), warm.unsettledReason() + (interval.reliable() ? "" : "; " + interval.unreliable()));
        }
        return new Result(interval, warm, integrity);
    }

    private long batchFor(double perCallMillis) {
        return Math.max(1, (long) Math.ceil(sampleMillis / Math.max(perCallMillis, 1e-6)));
    }

    /** The last {@value #WINDOW} rounds are no more than 5% faster than the {@value #WINDOW} before them. */
    static boolean settled(List<Double> perCall) {
        int n = perCall.size();
        if (n < 2 * WINDOW) return false;
        double last = median(perCall.subList(n - WINDOW, n)), before = median(perCall.subList(n - 2 * WINDOW, n - WINDOW));
        return last >= before * (1 - SETTLED_IMPROVEMENT_PCT / 100.0);
    }

    private static double median(List<Double> values) {
        double[] x = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(x);
        return x.length % 2 == 1 ? x[x.length / 2] : (x[x.length / 2 - 1] + x[x.length / 2]) / 2;
    }
}
