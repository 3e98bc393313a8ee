package dev.attest.benchmarks;

import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.core.type.TypeReference;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the JSON of a {@link DecodeBenchmark} run ({@code -rf json}) and checks the targets as ratios from
 * that one run: the decode step's log-log slope against the cached length (0.8 to 1.2: linear), decode at least 20x
 * cheaper than recomputation at L = 2048, and allocation per decode step flat in L.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.attest.benchmarks.DecodeScaling target/decode.json</pre>
 * Exit status 0 when every target is met, 1 otherwise.
 */
public final class DecodeScaling {
    private DecodeScaling() {
    }

    /** One JMH result, as much of it as this tool reads. */
    public record Result(String benchmark, Map<String, String> params, Metric primaryMetric,
                         Map<String, Metric> secondaryMetrics) {
    }

    /** A metric: score, its error and unit (JMH writes NaN as the string "NaN"), and percentiles when sampled. */
    public record Metric(double score, double scoreError, String scoreUnit, Map<String, Double> scorePercentiles) {
        /** The median of the samples when JMH sampled (SampleTime), else the score. */
        public double median() {
            Double p50 = scorePercentiles == null ? null : scorePercentiles.get("50.0");
            return p50 == null ? score : p50;
        }
    }

    /** One row of the table: a cached length and its figures (times are medians when JMH sampled). */
    public record Row(int length, double decode, double decodeError, double recompute, double decodeAllocation) {
        double ratio() {
            return recompute / decode;
        }
    }

    public static List<Result> read(File json) {
        JsonMapper mapper = JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
        return mapper.readValue(json, new TypeReference<List<Result>>() { });
    }

    /** The table, by cached length. */
    public static List<Row> rows(List<Result> results) {
        Map<Integer, double[]> byLength = new TreeMap<>();
        for (Result r : results) {
            int length = Integer.parseInt(r.params().get("cachedLength"));
            double[] row = byLength.computeIfAbsent(length, l -> new double[]{Double.NaN, Double.NaN, Double.NaN, Double.NaN});
            if (r.benchmark().endsWith(".decode")) {
                row[0] = r.primaryMetric().median();
                row[1] = r.primaryMetric().scoreError();
                Metric alloc = r.secondaryMetrics() == null ? null : r.secondaryMetrics().getOrDefault("gc.alloc.rate.norm",
                        r.secondaryMetrics().get("·gc.alloc.rate.norm"));
                row[3] = alloc == null ? Double.NaN : alloc.score();
            } else if (r.benchmark().endsWith(".recompute")) {
                row[2] = r.primaryMetric().median();
            }
        }
        List<Row> rows = new ArrayList<>();
        byLength.forEach((l, v) -> rows.add(new Row(l, v[0], v[1], v[2], v[3])));
        return rows;
    }

    /** Least-squares slope of log(y) against log(x). */
    public static double logLogSlope(double[] x, double[] y) {
        int n = x.length;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += Math.log(x[i]) / n;
            my += Math.log(y[i]) / n;
        }
        double sxy = 0, sxx = 0;
        for (int i = 0; i < n; i++) {
            double dx = Math.log(x[i]) - mx;
            sxy += dx * (Math.log(y[i]) - my);
            sxx += dx * dx;
        }
        return sxy / sxx;
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: DecodeScaling <jmh-result.json>");
            System.exit(2);
        }
        List<Row> rows = rows(read(new File(args[0])));
        System.out.println("| cached L | decode, median (us/op) | recompute, median (us/op) | recompute/decode | decode alloc (B/op) |");
        System.out.println("|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            System.out.println(String.format(Locale.ROOT, "| %d | %.2f | %.1f | %.1f× | %.1f |", r.length(),
                    r.decode(), r.recompute(), r.ratio(), r.decodeAllocation()));
        }
        double[] x = rows.stream().mapToDouble(Row::length).toArray();
        double[] y = rows.stream().mapToDouble(Row::decode).toArray();
        double slope = logLogSlope(x, y);
        Row at2048 = rows.stream().filter(r -> r.length() == 2048).findFirst().orElse(null);
        double minAlloc = rows.stream().mapToDouble(Row::decodeAllocation).min().orElse(Double.NaN);
        double maxAlloc = rows.stream().mapToDouble(Row::decodeAllocation).max().orElse(Double.NaN);
        boolean linear = rows.size() >= 5 && slope >= 0.8 && slope <= 1.2;
        boolean cheaper = at2048 != null && at2048.ratio() >= 20;
        // flat: no allocation of size O(L). JMH's gc.alloc.rate.norm divides the harness's per-iteration allocation
        // (sample buffers, profiler) by the ops of the iteration, so it drifts up as L grows and ops get fewer; a
        // step that allocated one float per cached key would add 4 * L bytes (16 KiB at L = 4096). The bound
        // separates the two; DecodeStepTest measures the step alone (ThreadMXBean) at 0 bytes.
        double bound = 1024;
        boolean flat = Double.isFinite(maxAlloc) && maxAlloc < bound;
        System.out.println(String.format(Locale.ROOT, "decode log-log slope over %d lengths: %.3f (target 0.8..1.2) %s",
                rows.size(), slope, linear ? "MET" : "MISSED"));
        System.out.println(String.format(Locale.ROOT, "recompute/decode at L=2048: %.1fx (target >= 20x) %s",
                at2048 == null ? Double.NaN : at2048.ratio(), cheaper ? "MET" : "MISSED"));
        System.out.println(String.format(Locale.ROOT, "decode allocation per step: %.1f .. %.1f B/op (target: flat in L, no O(L) "
                + "allocation: every L below %.0f B/op) %s", minAlloc, maxAlloc, bound, flat ? "MET" : "MISSED"));
        System.exit(linear && cheaper && flat ? 0 : 1);
    }
}
