package dev.attest.reports.html;

import dev.attest.reports.model.Interval;
import dev.attest.reports.model.LengthSweepPoint;
import dev.attest.reports.timing.Crossover;
import dev.attest.reports.timing.LogLogFit;

import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Linear against softmax attention as the sequence grows, as the page shows it: one log-log chart of every series
 * (backend and form) with error bars and its fitted slope, a table of slopes with their 95% intervals and R², the
 * crossover of each linear series against the softmax series of the same form, and every point with its
 * approximation error beside its latency.
 *
 * @param svg        the chart, or null when the run has no length sweep
 * @param slopes     per series: series, kind, fitted slope (or why none)
 * @param crossovers one sentence per linear series that has a softmax series of its form
 * @param rows       per point: backend, form, n, m, latency [interval], ±, samples, verdict, error, row class
 */
public record LengthSweepSection(String svg, List<String[]> slopes, List<String> crossovers, List<String[]> rows) {

    static LengthSweepSection of(List<LengthSweepPoint> points) {
        if (points.isEmpty()) return new LengthSweepSection(null, List.of(), List.of(), List.of());
        Map<String, List<LengthSweepPoint>> bySeries = new TreeMap<>();
        points.forEach(p -> bySeries.computeIfAbsent(p.series(), k -> new ArrayList<>()).add(p));
        List<Charts.Series> series = new ArrayList<>();
        List<String[]> slopes = new ArrayList<>(), rows = new ArrayList<>();
        int colour = 0;
        for (var e : bySeries.entrySet()) {
            Color color = Charts.PALETTE[colour++ % Charts.PALETTE.length];
            List<double[]> ok = new ArrayList<>(), bad = new ArrayList<>(), fitted = new ArrayList<>();
            for (LengthSweepPoint p : e.getValue()) {
                Interval i = p.latency();
                (i.reliable() ? ok : bad).add(Charts.withYError(p.length(), i.median(), i.low(), i.high()));
                if (i.reliable()) fitted.add(new double[]{p.length(), i.median()});
                rows.add(new String[]{p.backend(), p.form(), Integer.toString(p.length()),
                        p.features() == null ? "-" : Integer.toString(p.features()), SpeedFigures.ms(i),
                        SpeedFigures.spread(i), Integer.toString(i.samples()), SpeedFigures.verdict(i),
                        HtmlReport.sci(p.error()), i.reliable() ? "" : "unreliable"});
            }
            LogLogFit fit = LogLogFit.of(fitted);
            slopes.add(new String[]{e.getKey(), e.getValue().getFirst().kind(), SpeedFigures.fit(fit, e.getValue().size())});
            SpeedSection.addMeasured(series, e.getKey(), ok, bad, color);
            if (fit != null) series.add(SpeedSection.fitLine(e.getKey() + " fit, slope " + String.format(Locale.ROOT,
                    "%.2f", fit.exponent()), fit, fitted, color));
        }
        String svg = Charts.xy("fig-length-sweep", "Linear against softmax attention as n grows (log-log; bars: 95%"
                        + " intervals; lines: fits)", "sequence length n (log)", true, "latency of one forward pass"
                        + " (ms, log)", true, series, 760, 460);
        return new LengthSweepSection(svg, slopes, crossovers(bySeries), rows);
    }

    /** Each linear series against the softmax series of the same form. */
    private static List<String> crossovers(Map<String, List<LengthSweepPoint>> bySeries) {
        List<String> out = new ArrayList<>();
        for (var linear : bySeries.values()) {
            LengthSweepPoint first = linear.getFirst();
            if (!first.kind().equals(LengthSweepPoint.LINEAR)) continue;
            for (var softmax : bySeries.values()) {
                LengthSweepPoint s = softmax.getFirst();
                if (!s.kind().equals(LengthSweepPoint.SOFTMAX) || !s.form().equals(first.form())) continue;
                out.add(Crossover.of(first.series(), byLength(linear), s.series(), byLength(softmax)).text());
            }
        }
        return out;
    }

    private static SortedMap<Integer, Interval> byLength(List<LengthSweepPoint> series) {
        SortedMap<Integer, Interval> out = new TreeMap<>();
        series.forEach(p -> out.put(p.length(), p.latency()));
        return out;
    }
}
