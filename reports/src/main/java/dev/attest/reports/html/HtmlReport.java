package dev.attest.reports.html;

import dev.attest.reports.model.AccuracyResult;
import dev.attest.reports.model.ConfigInfo;
import dev.attest.reports.model.Environment;
import dev.attest.reports.model.Interval;
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
        Map<String, List<double[]>> reliablePoints = new TreeMap<>(), unreliablePoints = new TreeMap<>();
        for (AccuracyResult a : r.accuracy()) {
            LatencyResult l = latency.get(a.backend() + "\u0000" + a.config());
            Interval i = l == null ? null : SpeedFigures.of(l.metric());
            accuracyRows.add(new String[]{a.backend(), a.config(), a.types(), sci(a.maxAbsError()), sci(a.relativeRms()),
                    a.ulpError() == null ? "-" : ulps(a.ulpError()),
                    sci(a.baselineError()), sci(a.allowance()), fixed(a.errorOverAllowance()),
                    a.withinAllowance() ? "within" : "OUTSIDE",
                    i == null ? "no figure" : SpeedFigures.ms(i) + (i.reliable() ? "" : " (unreliable)")});
            // an infinite error (a NaN or infinity where the oracle is finite) is in the table, not on a log axis
            if (i != null && r.conforms(a.backend()) && Double.isFinite(a.relativeRms())) {
                double y = Math.max(a.relativeRms(), 1e-12);
                (i.reliable() ? reliablePoints : unreliablePoints).computeIfAbsent(a.backend(), k -> new ArrayList<>())
                        .add(Charts.withXError(i.median(), y, i.low(), i.high()));
                // only a reliable latency can claim a place on the frontier
                if (i.reliable()) points.add(new Analysis.Point(a.backend() + " / " + a.config(), i.median(), y));
            }
        }
        String accuracySvg = null;
        List<String> pareto = new ArrayList<>();
        if (!reliablePoints.isEmpty() || !unreliablePoints.isEmpty()) {
            List<Charts.Series> series = new ArrayList<>();
            java.util.Set<String> names = new TreeSet<>(reliablePoints.keySet());
            names.addAll(unreliablePoints.keySet());
            int colour = 0;
            for (String b : names) {
                SpeedSection.addMeasured(series, b, reliablePoints.getOrDefault(b, List.of()),
                        unreliablePoints.getOrDefault(b, List.of()), Charts.PALETTE[colour++ % Charts.PALETTE.length]);
            }
            Map<String, List<double[]>> linearCurves = new TreeMap<>();
            for (LinearErrorPoint p : r.linearAttention()) {
                if (p.latencyMillis() == null || !p.variant().contains("orthogonal")) continue;
                Interval i = p.latency();
                linearCurves.computeIfAbsent("linear attention: " + p.backend() + ", " + p.variant() + ", S="
                        + p.length() + ", curve over m", k -> new ArrayList<>()).add(i == null
                        ? new double[]{p.latencyMillis(), Math.max(p.error(), 1e-12)}
                        : Charts.withXError(i.median(), Math.max(p.error(), 1e-12), i.low(), i.high()));
            }
            linearCurves.forEach((n, pts) -> series.add(new Charts.Series(n, pts, true, true, new Color(0x7f7f7f))));
            List<Analysis.Point> frontier = Analysis.paretoFrontier(points);
            if (!frontier.isEmpty()) {
                series.add(new Charts.Series("Pareto frontier (reliable figures only)", frontier.stream()
                        .map(p -> new double[]{p.x(), p.y()}).toList(), true, false, Color.DARK_GRAY));
            }
            frontier.forEach(p -> pareto.add(p.label() + " (" + ms(p.x()) + ", rel. RMS " + sci(p.y()) + ")"));
            accuracySvg = Charts.xy("fig-accuracy", "Accuracy against latency (lower left is better; bars: 95% intervals)",
                    "latency (ms/op, log)", true, "relative RMS error vs oracle (log)", true, series, 760, 420);
        }

        SpeedSection speed = SpeedSection.of(r);
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
                        p.theory() == null ? "-" : sci(p.theory()), p.latency() != null ? SpeedFigures.ms(p.latency())
                        + (p.latency().reliable() ? "" : " (unreliable)") : p.latencyMillis() == null ? "-"
                        : ms(p.latencyMillis())});
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
        MachineSection machine = MachineSection.of(r.performance() == null ? null : r.performance().machine());
        env.addAll(machine.rows());
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
        return new HtmlModel("Attest report", summary, fails == 0, machine.banner(), env, backends, matrix, failures,
                notMeasured, accuracyRows, accuracySvg, pareto, speed, SpeedFigures.RULE, linearSvg, linearRows,
                LengthSweepSection.of(r.performance() == null ? List.of() : r.performance().lengthSweep()), calibration,
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
