package dev.attest.reports.html;

import dev.attest.reports.model.ConfigInfo;
import dev.attest.reports.model.Interval;
import dev.attest.reports.model.KvCachePoint;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.Roofline;
import dev.attest.reports.timing.LogLogFit;

import java.awt.Color;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * The report's speed figures as the page shows them: the scaling chart with its fits, the latency table with
 * intervals, rates, share of the roofline and ratio to the baseline, and the KV-cache chart and tables. Unreliable
 * figures are drawn and listed, marked, and never fitted.
 */
public record SpeedSection(String scalingSvg, List<String[]> exponents, List<String[]> latencyRows, String roofline,
                    String baseline, String kvSvg, List<String[]> kvRows, List<String[]> kvSlopes, int unreliable) {

    static final Color UNRELIABLE = new Color(0xaaaaaa);

    static SpeedSection of(Report r) {
        Map<String, ConfigInfo> configs = new LinkedHashMap<>();
        r.configs().forEach(c -> configs.put(c.name(), c));
        Roofline roof = r.performance() == null ? null : r.performance().roofline();
        String baseline = r.performance() == null ? null : r.performance().baseline();
        Map<String, Interval> baselineByConfig = new TreeMap<>();
        r.latency().stream().filter(l -> l.backend().equals(baseline))
                .forEach(l -> baselineByConfig.put(l.config(), SpeedFigures.of(l.metric())));
        int[] unreliable = {0};

        List<String[]> rows = new ArrayList<>();
        for (LatencyResult l : r.latency()) {
            Interval i = SpeedFigures.of(l.metric());
            if (!i.reliable()) unreliable[0]++;
            ConfigInfo c = configs.get(l.config());
            double gflops = c == null ? Double.NaN : SpeedFigures.gflops(c, i.median());
            rows.add(new String[]{l.backend(), l.config(), SpeedFigures.ms(i), SpeedFigures.spread(i),
                    Integer.toString(i.samples()), SpeedFigures.verdict(i),
                    Double.isNaN(gflops) ? "-" : String.format(Locale.ROOT, "%.2f", gflops),
                    roof == null || Double.isNaN(gflops) ? "-"
                            : String.format(Locale.ROOT, "%.1f%%", 100 * gflops / roof.peakGflops())
                            + (SpeedFigures.of(roof.allThreads()).reliable() ? "" : " (peak unreliable)"),
                    l.backend().equals(baseline) ? "baseline" : SpeedFigures.speedup(i, baselineByConfig.get(l.config())),
                    i.reliable() ? "" : "unreliable"});
        }

        // scaling: every point with its error bar; a fit only through reliable ones
        Map<String, List<LatencyResult>> scaling = new TreeMap<>();
        for (LatencyResult l : r.latency()) {
            ConfigInfo c = configs.get(l.config());
            if (c != null && "scaling".equals(c.kind())) scaling.computeIfAbsent(l.backend(), k -> new ArrayList<>()).add(l);
        }
        List<String[]> exponents = new ArrayList<>();
        List<Charts.Series> series = new ArrayList<>();
        int colour = 0;
        for (var e : scaling.entrySet()) {
            Color color = Charts.PALETTE[colour++ % Charts.PALETTE.length];
            List<double[]> ok = new ArrayList<>(), bad = new ArrayList<>(), fitted = new ArrayList<>();
            for (LatencyResult l : e.getValue()) {
                Interval i = SpeedFigures.of(l.metric());
                double n = configs.get(l.config()).qLength();
                (i.reliable() ? ok : bad).add(Charts.withYError(n, i.median(), i.low(), i.high()));
                if (i.reliable()) fitted.add(new double[]{n, i.median()});
            }
            LogLogFit fit = LogLogFit.of(fitted);
            exponents.add(new String[]{e.getKey(), SpeedFigures.fit(fit, e.getValue().size())});
            addMeasured(series, e.getKey(), ok, bad, color);
            if (fit != null) series.add(fitLine(e.getKey() + " fit, slope " + String.format(Locale.ROOT, "%.2f",
                    fit.exponent()), fit, fitted, color));
        }
        String scalingSvg = series.isEmpty() ? null : Charts.xy("fig-scaling",
                "Scaling with sequence length (log-log; bars: 95% intervals; lines: fits)",
                "sequence length S = Sq = Skv (log)", true, "latency (ms/op, log)", true, series, 760, 420);

        // KV cache
        String kvSvg = null;
        List<String[]> kvRows = new ArrayList<>(), kvSlopes = new ArrayList<>();
        if (!r.kvCache().isEmpty()) {
            Map<String, List<KvCachePoint>> byBackend = new TreeMap<>();
            r.kvCache().forEach(p -> byBackend.computeIfAbsent(p.backend(), k -> new ArrayList<>()).add(p));
            List<Charts.Series> kv = new ArrayList<>();
            colour = 0;
            for (var e : byBackend.entrySet()) {
                Color color = Charts.PALETTE[colour++ % Charts.PALETTE.length];
                String decode = kvSeries(kv, e.getKey() + " decode", e.getValue(), KvCachePoint::decode,
                        KvCachePoint::decodeMillis, color);
                String recompute = kvSeries(kv, e.getKey() + " recompute", e.getValue(), KvCachePoint::recompute,
                        KvCachePoint::recomputeMillis, color);
                kvSlopes.add(new String[]{e.getKey(), decode, recompute});
                for (KvCachePoint p : e.getValue()) {
                    Interval d = kvInterval(p.decode(), p.decodeMillis()), c = kvInterval(p.recompute(), p.recomputeMillis());
                    if (!d.reliable() || !c.reliable()) unreliable[0]++;
                    kvRows.add(new String[]{p.backend(), Integer.toString(p.length()), SpeedFigures.ms(d),
                            SpeedFigures.ms(c), String.format(Locale.ROOT, "%.1f×", p.ratio()),
                            d.reliable() && c.reliable() ? "ok" : "unreliable: "
                                    + (d.reliable() ? "recompute, " + c.unreliable() : "decode, " + d.unreliable()),
                            d.reliable() && c.reliable() ? "" : "unreliable"});
                }
            }
            kvSvg = Charts.xy("fig-kv", "KV-cache decode against recomputation (log-log; bars: 95% intervals; lines: fits)",
                    "cached length L (log)", true, "ms per token (log)", true, kv, 760, 420);
        }
        String rooflineText = roof == null ? null : String.format(Locale.ROOT, "Roofline of this run (%s): %.1f"
                        + " GFLOP/s on one thread %s, %.1f GFLOP/s on %d threads %s. A CPU backend's share of the"
                        + " roofline is its GFLOP/s over the %d-thread figure; a figure above the roofline is refused"
                        + " as implausible (2× headroom for 16-bit inputs, 4× for fp8).", roof.kernel(),
                roof.oneThreadGflops(), SpeedFigures.ms(SpeedFigures.of(roof.oneThread())), roof.peakGflops(),
                roof.threads(), SpeedFigures.ms(SpeedFigures.of(roof.allThreads())), roof.threads());
        if (roof != null && !SpeedFigures.of(roof.allThreads()).reliable()) {
            rooflineText += " The " + roof.threads() + "-thread figure is itself unreliable ("
                    + SpeedFigures.of(roof.allThreads()).unreliable() + "): shares of the peak are marked.";
        }
        return new SpeedSection(scalingSvg, exponents, rows, rooflineText, baseline, kvSvg, kvRows, kvSlopes,
                unreliable[0]);
    }

    /** Reliable points in the backend's colour, unreliable ones grey and named so; both with error bars. */
    static void addMeasured(List<Charts.Series> series, String name, List<double[]> ok, List<double[]> bad, Color color) {
        if (!ok.isEmpty()) series.add(new Charts.Series(name, ok, false, true, color));
        if (!bad.isEmpty()) series.add(new Charts.Series(name + " (unreliable, not fitted)", bad, false, true, UNRELIABLE));
    }

    /** The fitted power law over the x range of the points it was fitted through. */
    static Charts.Series fitLine(String name, LogLogFit fit, List<double[]> fitted, Color color) {
        double lo = fitted.stream().mapToDouble(p -> p[0]).min().orElseThrow();
        double hi = fitted.stream().mapToDouble(p -> p[0]).max().orElseThrow();
        return new Charts.Series(name, List.of(new double[]{lo, fit.at(lo)}, new double[]{hi, fit.at(hi)}), true,
                false, color);
    }

    private static Interval kvInterval(Interval i, double millis) {
        return i != null ? i : new Interval(millis, millis, millis, 0, 0, "no interval in this report");
    }

    /** Adds one KV series (points and fit) and returns its fit as text. */
    private static String kvSeries(List<Charts.Series> out, String name, List<KvCachePoint> points,
                                   java.util.function.Function<KvCachePoint, Interval> interval,
                                   ToDoubleFunction<KvCachePoint> millis, Color color) {
        List<double[]> ok = new ArrayList<>(), bad = new ArrayList<>(), fitted = new ArrayList<>();
        for (KvCachePoint p : points) {
            Interval i = kvInterval(interval.apply(p), millis.applyAsDouble(p));
            (i.reliable() ? ok : bad).add(Charts.withYError(p.length(), i.median(), i.low(), i.high()));
            if (i.reliable()) fitted.add(new double[]{p.length(), i.median()});
        }
        LogLogFit fit = LogLogFit.of(fitted);
        addMeasured(out, name, ok, bad, color);
        if (fit != null) out.add(fitLine(name + " fit, slope " + String.format(Locale.ROOT, "%.2f", fit.exponent()),
                fit, fitted, color));
        return SpeedFigures.fit(fit, points.size());
    }
}
