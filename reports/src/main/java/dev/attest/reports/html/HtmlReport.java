package dev.attest.reports.html;

import dev.attest.reports.model.AccuracyResult;
import dev.attest.reports.model.ConfigInfo;
import dev.attest.reports.model.Environment;
import dev.attest.reports.model.KvCachePoint;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.LinearErrorPoint;
import dev.attest.reports.model.PropertyResult;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.Status;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;

import java.awt.Color;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Renders report.html from a report: jte template (precompiled), JFreeChart figures as inline SVG, no script, no
 * network. A pure function of the report: the same report gives the same bytes.
 */
public final class HtmlReport {
    private static final TemplateEngine ENGINE = TemplateEngine.createPrecompiled(ContentType.Html);

    private HtmlReport() {
    }

    public static String render(Report report) {
        System.setProperty("java.awt.headless", "true");
        Locale previous = Locale.getDefault();
        Locale.setDefault(Locale.ROOT);
        try {
            StringOutput output = new StringOutput();
            ENGINE.render("report.jte", model(report), output);
            return output.toString();
        } finally {
            Locale.setDefault(previous);
        }
    }

    static HtmlModel model(Report r) {
        List<String> backends = new ArrayList<>(new TreeSet<>(r.backends().stream().map(b -> b.name()).toList()));
        r.conformance().forEach(c -> { if (!backends.contains(c.backend())) backends.add(c.backend()); });
        Map<String, Map<String, Status>> byProperty = new TreeMap<>();
        for (PropertyResult c : r.conformance()) {
            byProperty.computeIfAbsent(c.property(), k -> new LinkedHashMap<>()).put(c.backend(), c.status());
        }
        List<HtmlModel.MatrixRow> matrix = new ArrayList<>();
        byProperty.forEach((p, cells) -> matrix.add(new HtmlModel.MatrixRow(p,
                backends.stream().map(b -> cells.containsKey(b) ? cells.get(b).label() : "-").toList())));
        List<String[]> failures = new ArrayList<>(r.conformance().stream().filter(c -> c.status() == Status.FAIL)
                .map(c -> new String[]{c.backend(), c.property(), c.message() == null ? "" : c.message()}).toList());
        r.failedMeasurements().forEach(i -> failures.add(new String[]{i.backend(), i.item(), i.message()}));
        List<String[]> notMeasured = r.measurementIssues().stream().filter(i -> i.status() == Status.UNSUPPORTED)
                .map(i -> new String[]{i.backend(), i.item(), i.message()}).toList();

        Map<String, ConfigInfo> configs = new LinkedHashMap<>();
        r.configs().forEach(c -> configs.put(c.name(), c));
        Map<String, LatencyResult> latency = new LinkedHashMap<>();
        r.latency().forEach(l -> latency.put(l.backend() + "\u0000" + l.config(), l));

        List<String[]> accuracyRows = new ArrayList<>();
        List<Analysis.Point> points = new ArrayList<>();
        for (AccuracyResult a : r.accuracy()) {
            LatencyResult l = latency.get(a.backend() + "\u0000" + a.config());
            accuracyRows.add(new String[]{a.backend(), a.config(), a.types(), sci(a.maxAbsError()), sci(a.relativeRms()),
                    a.ulpError() == null ? "-" : ulps(a.ulpError()),
                    sci(a.baselineError()), sci(a.allowance()), fixed(a.errorOverAllowance()),
                    a.withinAllowance() ? "within" : "OUTSIDE", l == null ? "no figure" : ms(l.metric().score())});
            // an infinite error (a NaN or infinity where the oracle is finite) is in the table, not on a log axis
            if (l != null && r.conforms(a.backend()) && Double.isFinite(a.relativeRms())) {
                points.add(new Analysis.Point(a.backend() + " / " + a.config(), l.metric().score(),
                        Math.max(a.relativeRms(), 1e-12)));
            }
        }
        String accuracySvg = null;
        List<String> pareto = new ArrayList<>();
        if (!points.isEmpty()) {
            Map<String, List<double[]>> perBackend = new TreeMap<>();
            for (Analysis.Point p : points) {
                perBackend.computeIfAbsent(p.label().substring(0, p.label().indexOf(" / ")), k -> new ArrayList<>())
                        .add(new double[]{p.x(), p.y()});
            }
            List<Charts.Series> series = new ArrayList<>();
            perBackend.forEach((b, pts) -> series.add(new Charts.Series(b, pts, false, true, null)));
            Map<String, List<double[]>> linearCurves = new TreeMap<>();
            for (LinearErrorPoint p : r.linearAttention()) {
                if (p.latencyMillis() == null || !p.variant().contains("orthogonal")) continue;
                linearCurves.computeIfAbsent("linear attention: " + p.backend() + ", " + p.variant() + ", S="
                        + p.length() + ", curve over m", k -> new ArrayList<>()).add(new double[]{p.latencyMillis(),
                        Math.max(p.error(), 1e-12)});
            }
            linearCurves.forEach((n, pts) -> series.add(new Charts.Series(n, pts, true, true, new Color(0x7f7f7f))));
            List<Analysis.Point> frontier = Analysis.paretoFrontier(points);
            series.add(new Charts.Series("Pareto frontier", frontier.stream().map(p -> new double[]{p.x(), p.y()})
                    .toList(), true, false, Color.DARK_GRAY));
            frontier.forEach(p -> pareto.add(p.label() + " (" + ms(p.x()) + ", rel. RMS " + sci(p.y()) + ")"));
            accuracySvg = Charts.xy("fig-accuracy", "Accuracy against latency (lower left is better)",
                    "latency (ms/op, log)", true, "relative RMS error vs oracle (log)", true, series, 760, 420);
        }

        String scalingSvg = null;
        List<String[]> exponents = new ArrayList<>();
        Map<String, List<double[]>> scaling = new TreeMap<>();
        for (LatencyResult l : r.latency()) {
            ConfigInfo c = configs.get(l.config());
            if (c != null && "scaling".equals(c.kind())) {
                scaling.computeIfAbsent(l.backend(), k -> new ArrayList<>()).add(new double[]{c.qLength(), l.metric().score()});
            }
        }
        if (!scaling.isEmpty()) {
            List<Charts.Series> series = new ArrayList<>();
            scaling.forEach((b, pts) -> {
                pts.sort((x, y) -> Double.compare(x[0], y[0]));
                double e = Analysis.exponent(pts);
                exponents.add(new String[]{b, Double.isNaN(e) ? "-" : fixed(e), Integer.toString(pts.size())});
                series.add(new Charts.Series(b + (Double.isNaN(e) ? "" : " (slope " + fixed(e) + ")"), pts, true, true,
                        null));
            });
            scalingSvg = Charts.xy("fig-scaling", "Scaling with sequence length (log-log, fitted exponent)",
                    "sequence length S = Sq = Skv (log)", true, "latency (ms/op, log)", true, series, 760, 420);
        }

        List<String[]> latencyRows = r.latency().stream().map(l -> {
            ConfigInfo c = configs.get(l.config());
            String gflops = c == null ? "-" : String.format(Locale.ROOT, "%.2f", c.flops() / (l.metric().score() * 1e6));
            return new String[]{l.backend(), l.config(), ms(l.metric().score()),
                    l.metric().error() == null ? "-" : ms(l.metric().error()), Integer.toString(l.metric().samples().size()),
                    gflops};
        }).toList();

        String kvSvg = null;
        List<String[]> kvRows = new ArrayList<>();
        List<String[]> kvSlopes = new ArrayList<>();
        if (!r.kvCache().isEmpty()) {
            Map<String, List<double[]>> decode = new TreeMap<>(), recompute = new TreeMap<>();
            for (KvCachePoint p : r.kvCache()) {
                decode.computeIfAbsent(p.backend(), k -> new ArrayList<>()).add(new double[]{p.length(), p.decodeMillis()});
                recompute.computeIfAbsent(p.backend(), k -> new ArrayList<>()).add(new double[]{p.length(), p.recomputeMillis()});
                kvRows.add(new String[]{p.backend(), Integer.toString(p.length()), ms(p.decodeMillis()),
                        ms(p.recomputeMillis()), String.format(Locale.ROOT, "%.1f×", p.ratio())});
            }
            List<Charts.Series> series = new ArrayList<>();
            int i = 0;
            for (String b : decode.keySet()) {
                Color color = Charts.PALETTE[i++ % Charts.PALETTE.length];
                double de = Analysis.exponent(decode.get(b)), re = Analysis.exponent(recompute.get(b));
                series.add(new Charts.Series(b + " decode (slope " + slope(de) + ")", decode.get(b), true, true, color));
                series.add(new Charts.Series(b + " recompute (slope " + slope(re) + ")", recompute.get(b), true, false, color));
                kvSlopes.add(new String[]{b, slope(de), slope(re), Integer.toString(decode.get(b).size())});
            }
            kvSvg = Charts.xy("fig-kv", "KV-cache decode against recomputation (log-log, fitted slopes)",
                    "cached length L (log)", true, "ms per token (log)", true, series, 760, 420);
        }
        String linearSvg = null;
        List<String[]> linearRows = new ArrayList<>();
        if (!r.linearAttention().isEmpty()) {
            Map<String, List<double[]>> output = new TreeMap<>(), kernel = new TreeMap<>(), theory = new TreeMap<>();
            for (LinearErrorPoint p : r.linearAttention()) {
                String key = p.backend() + ", " + p.variant() + ", S=" + p.length();
                output.computeIfAbsent(key, k -> new ArrayList<>()).add(new double[]{p.features(), p.error()});
                kernel.computeIfAbsent(key, k -> new ArrayList<>()).add(new double[]{p.features(), p.kernelMse()});
                if (p.theory() != null) {
                    theory.computeIfAbsent("S=" + p.length(), k -> new ArrayList<>()).add(new double[]{p.features(), p.theory()});
                }
                linearRows.add(new String[]{p.backend(), p.variant(), Integer.toString(p.length()),
                        Integer.toString(p.features()), sci(p.error()), sci(p.maxAbsError()), sci(p.kernelMse()),
                        p.theory() == null ? "-" : sci(p.theory()), p.latencyMillis() == null ? "-" : ms(p.latencyMillis())});
            }
            List<Charts.Series> series = new ArrayList<>();
            int i = 0;
            for (String key : output.keySet()) {
                Color color = Charts.PALETTE[i++ % Charts.PALETTE.length];
                series.add(new Charts.Series("output rel. RMS: " + key, output.get(key), true, true, color));
                series.add(new Charts.Series("kernel rel. MSE: " + key, kernel.get(key), true, false, color));
            }
            theory.forEach((k, pts) -> series.add(new Charts.Series("Performer theory (Lemma 2, i.i.d.) kernel rel. MSE, "
                    + k, pts, true, false, Color.DARK_GRAY)));
            linearSvg = Charts.xy("fig-linear", "Linear attention (FAVOR+) error against m (log-log)",
                    "random features m (log)", true, "error vs exact softmax (log)", true, series, 760, 460);
        }

        Environment e = r.environment();
        List<String[]> env = new ArrayList<>();
        if (e != null) {
            env.add(new String[]{"machine", e.machine()});
            env.add(new String[]{"OS", e.os() + " (" + e.arch() + ")"});
            env.add(new String[]{"cores", Integer.toString(e.cores())});
            env.add(new String[]{"max heap", e.maxHeapMiB() + " MiB"});
            env.add(new String[]{"JVM", e.jvm() + " " + e.jvmVersion()});
            env.add(new String[]{"Attest", e.attestVersion()});
        }
        if (r.run() != null) {
            env.add(new String[]{"command", r.run().command() + (r.run().profile() == null ? "" : " --profile "
                    + r.run().profile()) + (r.run().shard() == null ? "" : " --shard " + r.run().shard())});
            env.add(new String[]{"seed / tries", r.run().seed() + " / " + r.run().tries() + " per property"});
            if (r.run().bench() != null) {
                var b = r.run().bench();
                env.add(new String[]{"JMH", b.jmhVersion() + ", " + b.mode() + ", forks " + b.forks() + ", warm-up "
                        + b.warmupIterations() + " x " + b.warmupMillis() + " ms, measurement "
                        + b.measurementIterations() + " x " + b.measurementMillis() + " ms, threads " + b.threads()});
            }
        }
        String calibration = r.calibration() == null ? null
                : String.format(Locale.ROOT, "%s: %.4f %s", r.calibration().label(), r.calibration().score(),
                r.calibration().unit());
        long fails = r.failures();
        String summary = String.format(Locale.ROOT, "%d backends, %d properties: %d passed, %d failed, %d unsupported"
                        + " or unavailable, %d skipped%s", backends.size(), byProperty.size(),
                r.conformance().stream().filter(c -> c.status() == Status.PASS).count(), fails,
                r.conformance().stream().filter(c -> c.status() == Status.UNSUPPORTED || c.status() == Status.UNAVAILABLE).count(),
                r.conformance().stream().filter(c -> c.status() == Status.SKIPPED).count(),
                r.failedMeasurements().isEmpty() ? "" : " (" + r.failedMeasurements().size() + " of the failures are"
                        + " measurements)");
        return new HtmlModel("Attest report", summary, fails == 0, env, backends, matrix, failures, notMeasured,
                accuracyRows,
                accuracySvg, pareto, scalingSvg, exponents, latencyRows, kvSvg, kvRows, kvSlopes, linearSvg, linearRows, calibration,
                r.faultDetection() == null ? null : FaultSection.of(r.faultDetection()));
    }

    static String slope(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    static String sci(double v) {
        return Double.isInfinite(v) ? (v > 0 ? "inf" : "-inf") : String.format(Locale.ROOT, "%.3g", v);
    }

    /** Ulps to one decimal (an fp32 kernel's few ulps and a bf16 one's fraction of one both read). */
    static String ulps(double v) {
        return Double.isInfinite(v) ? "inf" : String.format(Locale.ROOT, "%.1f", v);
    }

    static String fixed(double v) {
        return Double.isInfinite(v) ? (v > 0 ? "inf" : "-inf") : String.format(Locale.ROOT, "%.3f", v);
    }

    static String ms(double v) {
        return String.format(Locale.ROOT, "%.4f ms", v);
    }
}
