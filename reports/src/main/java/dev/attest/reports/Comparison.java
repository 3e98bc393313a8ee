package dev.attest.reports;

import dev.attest.faults.FaultDetection;
import dev.attest.reports.model.AccuracyResult;
import dev.attest.reports.model.BackendInfo;
import dev.attest.reports.model.MeasurementIssue;
import dev.attest.reports.model.KvCachePoint;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.PropertyResult;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.Status;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What {@code attest compare} judges (its rules are in its help and docs/report-schema.md): BASE's entries, one
 * section at a time, against NEW's. An entry of BASE that NEW lacks, or a verdict that NEW no longer gives, is a
 * regression unless the rules allow it: a gate that only judged what NEW chose to report would pass an empty report.
 */
final class Comparison {
    private Comparison() {
    }

    /** The Markdown summary and how many regressions it lists. */
    record Result(String markdown, int regressions) {
    }

    /** What compare found: regressions fail the gate; allowed changes and improvements do not. */
    private static final class Findings {
        final CompareCommand.Rules rules;
        final List<String> regressions = new ArrayList<>(), notCounted = new ArrayList<>(),
                improvements = new ArrayList<>(), notJudged = new ArrayList<>();

        Findings(CompareCommand.Rules rules) {
            this.rules = rules;
        }

        void missing(String backend, String item, String was) {
            (rules.allowMissing() ? notCounted : regressions).add(row("missing", backend, item, was, "absent"));
        }

        void weakened(String backend, String item, String was, String is) {
            (rules.allowWeakened() ? notCounted : regressions).add(row("weakened", backend, item, was, is));
        }

        /** Each entry of {@code base} whose key {@code fresh} lacks: gone from NEW, so nothing there judges it. */
        <T> void missing(List<T> base, List<T> fresh, Function<T, String> key, Function<T, Gone> gone) {
            Set<String> present = fresh.stream().map(key).collect(Collectors.toSet());
            for (T t : base) {
                if (present.contains(key.apply(t))) continue;
                Gone g = gone.apply(t);
                missing(g.backend(), g.item(), g.was());
            }
        }
    }

    /** How a missing entry is listed: its backend (or section), the item, and what BASE had. */
    private record Gone(String backend, String item, String was) {
    }

    private static String row(String kind, String backend, String item, String was, String is) {
        return "| " + kind + " | " + backend + " | " + item + " | " + was + " | " + is + " |";
    }

    static Result compare(Report base, Report fresh, CompareCommand.Rules rules) {
        Findings f = new Findings(rules);
        backends(base, fresh, f);
        conformance(base, fresh, f);
        accuracy(base, fresh, f);
        measurementIssues(base, fresh, f);
        faultDetection(base, fresh, f);
        if (base.calibration() != null && fresh.calibration() == null) {
            f.missing("calibration", "benchmark", ms(base.calibration().center()));
        }
        f.missing(speedOfConforming(base.kvCache(), KvCachePoint::backend, fresh), fresh.kvCache(),
                p -> p.backend() + " / " + p.length(),
                p -> new Gone(p.backend(), "kv-cache L=" + p.length(), ms(p.decodeMillis())));
        f.missing(base.linearAttention(), fresh.linearAttention(),
                p -> p.backend() + " / " + p.variant() + " / " + p.length() + " / " + p.features(),
                p -> new Gone(p.backend(), p.variant() + " S=" + p.length() + " m=" + p.features(),
                        String.format(Locale.ROOT, "%.3g", p.error())));
        boolean calibrated = base.calibration() != null && fresh.calibration() != null
                && base.calibration().center() > 0 && fresh.calibration().center() > 0;
        double scale = calibrated ? fresh.calibration().center() / base.calibration().center() : 1;
        List<String> speedRows = latency(base, fresh, scale, f);
        return new Result(markdown(base, fresh, rules, f, calibrated, scale, speedRows), f.regressions.size());
    }

    /** A backend gone from NEW is missing; one that could run in BASE and cannot in NEW is weakened. */
    private static void backends(Report base, Report fresh, Findings f) {
        f.missing(base.backends(), fresh.backends(), BackendInfo::name,
                b -> new Gone(b.name(), "backend", b.available() ? "available" : "unavailable"));
        Map<String, BackendInfo> now = index(fresh.backends(), BackendInfo::name);
        for (BackendInfo b : base.backends()) {
            BackendInfo n = now.get(b.name());
            if (n != null && b.available() && !n.available()) f.weakened(b.name(), "backend", "available", "unavailable");
        }
    }

    /**
     * A cell that newly fails is a regression; a verdict (pass or fail) that became no verdict (skipped,
     * unsupported, unavailable, xfail) is weakened: the property no longer judges the backend, which hides a
     * failure as surely as it hides a pass; a cell gone from NEW is missing.
     */
    private static void conformance(Report base, Report fresh, Findings f) {
        Map<String, PropertyResult> before = index(base.conformance(), Comparison::cell);
        for (PropertyResult r : fresh.conformance()) {
            PropertyResult old = before.get(cell(r));
            String item = "`" + r.property() + "`";
            if (r.status() == Status.FAIL && (old == null || old.status() != Status.FAIL)) {
                f.regressions.add(row("newly fails", r.backend(), item, old == null ? "new" : old.status().label(),
                        "FAIL"));
            } else if (old != null && verdict(old.status()) && !verdict(r.status())) {
                f.weakened(r.backend(), item, old.status().label(), r.status().label());
            } else if (r.status() == Status.PASS && old != null && old.status() == Status.FAIL) {
                f.improvements.add(row("fixed", r.backend(), item, "FAIL", r.status().label()));
            }
        }
        f.missing(base.conformance(), fresh.conformance(), Comparison::cell,
                r -> new Gone(r.backend(), "`" + r.property() + "`", r.status().label()));
    }

    /**
     * A measurement that newly fails is a regression, like a property. One newly not measured (unsupported) needs no
     * rule of its own: its figure in BASE is missing from NEW.
     */
    private static void measurementIssues(Report base, Report fresh, Findings f) {
        Map<String, MeasurementIssue> before = index(base.measurementIssues(), i -> i.backend() + " / " + i.item());
        for (MeasurementIssue i : fresh.measurementIssues()) {
            MeasurementIssue old = before.get(i.backend() + " / " + i.item());
            if (i.status() == Status.FAIL && (old == null || old.status() != Status.FAIL)) {
                f.regressions.add(row("measurement fails", i.backend(), i.item(), old == null ? "measured"
                        : old.status().label(), "FAIL"));
            }
        }
    }

    private static String cell(PropertyResult r) {
        return r.backend() + " / " + r.property();
    }

    private static boolean verdict(Status s) {
        return s == Status.PASS || s == Status.FAIL;
    }

    private static void accuracy(Report base, Report fresh, Findings f) {
        Function<AccuracyResult, String> key = r -> r.backend() + " / " + r.config();
        Map<String, AccuracyResult> accBefore = index(base.accuracy(), key);
        for (AccuracyResult r : fresh.accuracy()) {
            AccuracyResult old = accBefore.get(key.apply(r));
            if (old == null) continue;
            double floor = 0.05; // ratios below this are noise-level: growth from 0.001 to 0.004 is no regression
            double growth = Math.max(r.errorOverAllowance(), floor) / Math.max(old.errorOverAllowance(), floor);
            String row = String.format(Locale.ROOT, "| error grew | %s | %s | %.3g | %.3g (x%.2f) |", r.backend(),
                    r.config(), old.errorOverAllowance(), r.errorOverAllowance(), growth);
            if (growth > f.rules.maxErrorGrowth() || (!r.withinAllowance() && old.withinAllowance())) {
                f.regressions.add(row);
            }
        }
        f.missing(base.accuracy(), fresh.accuracy(), key, r -> new Gone(r.backend(), "accuracy " + r.config(),
                String.format(Locale.ROOT, "%.3g", r.errorOverAllowance())));
    }

    /**
     * The rows of the latency table; a slowdown beyond the bound is a regression, an entry gone from NEW missing.
     * A figure marked unreliable in either report (its interval too wide, its warm-up unsettled) is listed but not
     * judged: noise must neither fail nor pass the gate. A figure from a report that predates intervals is judged
     * as it was.
     */
    private static List<String> latency(Report base, Report fresh, double scale, Findings f) {
        Function<LatencyResult, String> key = r -> r.backend() + " / " + r.config();
        Map<String, LatencyResult> latBefore = index(base.latency(), key);
        List<String> speedRows = new ArrayList<>();
        for (LatencyResult r : fresh.latency()) {
            LatencyResult old = latBefore.get(key.apply(r));
            if (old == null || old.metric().center() <= 0) continue;
            double change = (r.metric().center() / scale / old.metric().center() - 1) * 100;
            String unreliable = unreliable(old, "base") + unreliable(r, "new");
            speedRows.add(String.format(Locale.ROOT, "| %s | %s | %.4f | %.4f | %+.1f%% | %s |", r.backend(), r.config(),
                    old.metric().center(), r.metric().center(), change, unreliable.isEmpty() ? "judged"
                            : "not judged:" + unreliable));
            if (!unreliable.isEmpty()) {
                f.notJudged.add(row("unreliable", r.backend(), r.config(), ms(old.metric().center()),
                        ms(r.metric().center()) + " (" + unreliable.strip() + ")"));
            } else if (change > f.rules.maxSlowdownPct()) {
                f.regressions.add(String.format(Locale.ROOT, "| slower | %s | %s | %.4f ms | %.4f ms (%+.1f%%) |",
                        r.backend(), r.config(), old.metric().center(), r.metric().center(), change));
            }
        }
        f.missing(speedOfConforming(base.latency(), LatencyResult::backend, fresh), fresh.latency(), key,
                r -> new Gone(r.backend(), "latency " + r.config(), ms(r.metric().center())));
        return speedRows;
    }

    /** " base: why" when the figure carries an interval that is unreliable; "" otherwise. */
    private static String unreliable(LatencyResult r, String which) {
        var i = r.metric().interval();
        return i == null || i.reliable() ? "" : " " + which + " " + i.unreliable();
    }

    /**
     * BASE's speed figures of the backends that conform in NEW: one that fails there gets none by design, and its
     * failure is already a regression.
     */
    private static <T> List<T> speedOfConforming(List<T> base, Function<T, String> backend, Report fresh) {
        return base.stream().filter(t -> fresh.conforms(backend.apply(t))).toList();
    }

    /**
     * A planted bug that the base's suite killed and the new one's lets through is a regression: a property lost its
     * teeth. A mutant of BASE missing from NEW, or NEW without the section, is missing: nothing shows the bug is
     * still caught. A mutant only in NEW (the catalog grew) is not judged.
     */
    private static void faultDetection(Report base, Report fresh, Findings f) {
        if (base.faultDetection() == null) return;
        if (fresh.faultDetection() == null) {
            f.missing("fault detection", "section", killed(base));
            return;
        }
        Map<String, FaultDetection.MutantResult> before = index(base.faultDetection().mutants(),
                FaultDetection.MutantResult::id);
        for (FaultDetection.MutantResult m : fresh.faultDetection().mutants()) {
            FaultDetection.MutantResult old = before.get(m.id());
            if (old == null) continue;
            if (old.killed() && !m.killed()) {
                f.regressions.add(row("survives", "planted bug", "`" + m.id() + "`", "killed by " + old.killers().size(),
                        "SURVIVED"));
            } else if (!old.killed() && m.killed()) {
                f.improvements.add(row("killed", "planted bug", "`" + m.id() + "`", "survived",
                        "killed by " + m.killers().size()));
            }
        }
        f.missing(base.faultDetection().mutants(), fresh.faultDetection().mutants(), FaultDetection.MutantResult::id,
                m -> new Gone("planted bug", "`" + m.id() + "`", m.killed() ? "killed by " + m.killers().size()
                        : "survived"));
    }

    private static String markdown(Report base, Report fresh, CompareCommand.Rules rules, Findings f, boolean calibrated,
                                   double scale, List<String> speedRows) {
        int n = f.regressions.size();
        StringBuilder md = new StringBuilder();
        md.append("## Attest compare: ").append(n == 0 ? "no regression" : n + " regression" + (n == 1 ? "" : "s"))
                .append("\n\n");
        md.append(String.format(Locale.ROOT, "Bounds: slowdown <= %.1f%%, error/allowance growth <= x%.2f. ",
                rules.maxSlowdownPct(), rules.maxErrorGrowth()));
        if (rules.allowMissing()) md.append("Entries missing from NEW allowed (--allow-missing). ");
        if (rules.allowWeakened()) md.append("Weakened properties allowed (--allow-weakened). ");
        md.append(calibrated ? String.format(Locale.ROOT, "Latencies relative to each run's calibration benchmark"
                + " (new/base machine speed ratio %.3f).%n%n", scale)
                : "No calibration benchmark in both reports: latencies compared as measured.\n\n");
        md.append(String.format(Locale.ROOT, "Conformance: base %d failures in %d cells, new %d failures in %d"
                + " cells.%n%n", base.failures(), base.conformance().size(), fresh.failures(),
                fresh.conformance().size()));
        if (base.faultDetection() != null || fresh.faultDetection() != null) {
            md.append("Fault detection: base ").append(killed(base)).append(", new ").append(killed(fresh))
                    .append(".\n\n");
        }
        table(md, "Regressions", f.regressions);
        table(md, "Not counted (allowed by an --allow option)", f.notCounted);
        table(md, "Improvements", f.improvements);
        table(md, "Not judged (a timing unreliable in BASE or NEW: its 95% interval wider than 20% of the median, or"
                + " its warm-up unsettled)", f.notJudged);
        if (!speedRows.isEmpty()) {
            md.append("### Latency (median ms/op)\n\n| backend | config | base | new | change (calibrated) | gate |\n"
                    + "|---|---|---|---|---|---|\n");
            speedRows.forEach(r -> md.append(r).append('\n'));
        }
        return md.toString();
    }

    private static void table(StringBuilder md, String title, List<String> rows) {
        if (rows.isEmpty()) return;
        md.append("### ").append(title).append("\n\n| kind | backend | item | base | new |\n|---|---|---|---|---|\n");
        rows.forEach(r -> md.append(r).append('\n'));
        md.append('\n');
    }

    private static String ms(double millis) {
        return String.format(Locale.ROOT, "%.4f ms", millis);
    }

    private static String killed(Report r) {
        FaultDetection f = r.faultDetection();
        return f == null ? "not run" : f.summary().killed() + " of " + f.summary().mutants() + " planted bugs killed";
    }

    private static <T> Map<String, T> index(List<T> list, Function<T, String> key) {
        return list.stream().collect(Collectors.toMap(key, t -> t, (x, y) -> x));
    }
}
