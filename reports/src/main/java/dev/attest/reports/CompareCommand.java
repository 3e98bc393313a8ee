package dev.attest.reports;

import dev.attest.faults.FaultDetection;
import dev.attest.reports.model.AccuracyResult;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.PropertyResult;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.Status;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;

@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"The CI gate: compares two reports and prints a Markdown summary (for a CI job summary).",
                "Exits 1 on a regression: a property that newly fails, a planted bug that the base killed and that"
                        + " now survives every property, an error (error/allowance) that grew more than"
                        + " --max-error-growth times, or a slowdown beyond --max-slowdown percent, each latency taken"
                        + " relative to the calibration benchmark of its own run."},
        footer = {"", "Examples:", "  ./attest compare base/report.json new/report.json >> \"$GITHUB_STEP_SUMMARY\"",
                "  ./attest compare base.json new.json --max-slowdown 25 --max-error-growth 2"})
public final class CompareCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BASE.json")
    Path base;
    @Parameters(index = "1", paramLabel = "NEW.json")
    Path fresh;
    @Option(names = "--max-slowdown", paramLabel = "PCT", defaultValue = "20",
            description = "largest allowed slowdown in percent (default: ${DEFAULT-VALUE})")
    double maxSlowdown;
    @Option(names = "--max-error-growth", paramLabel = "X", defaultValue = "2",
            description = "largest allowed factor of growth of error/allowance (default: ${DEFAULT-VALUE})")
    double maxErrorGrowth;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (maxSlowdown < 0 || maxErrorGrowth < 1) {
            throw new UsageException("--max-slowdown must be >= 0 and --max-error-growth >= 1");
        }
        Report a = ReportJson.read(base), b = ReportJson.read(fresh);
        Result result = compare(a, b, maxSlowdown, maxErrorGrowth);
        spec.commandLine().getOut().print(result.markdown());
        return result.regressions() > 0 ? AttestCli.FAILED : AttestCli.OK;
    }

    public record Result(String markdown, int regressions) {
    }

    public static Result compare(Report base, Report fresh, double maxSlowdownPct, double maxErrorGrowth) {
        List<String> regressions = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Map<String, PropertyResult> before = index(base.conformance(), r -> r.backend() + " / " + r.property());
        for (PropertyResult r : fresh.conformance()) {
            String key = r.backend() + " / " + r.property();
            PropertyResult old = before.get(key);
            if (r.status() == Status.FAIL && (old == null || old.status() != Status.FAIL)) {
                regressions.add("| newly fails | " + r.backend() + " | `" + r.property() + "` | "
                        + (old == null ? "new" : old.status().label()) + " | FAIL |");
            } else if (r.status() != Status.FAIL && old != null && old.status() == Status.FAIL) {
                notes.add("| fixed | " + r.backend() + " | `" + r.property() + "` | FAIL | " + r.status().label() + " |");
            }
        }
        Map<String, AccuracyResult> accBefore = index(base.accuracy(), r -> r.backend() + " / " + r.config());
        for (AccuracyResult r : fresh.accuracy()) {
            AccuracyResult old = accBefore.get(r.backend() + " / " + r.config());
            if (old == null) continue;
            double floor = 0.05; // ratios below this are noise-level: growth from 0.001 to 0.004 is no regression
            double growth = Math.max(r.errorOverAllowance(), floor) / Math.max(old.errorOverAllowance(), floor);
            String row = String.format(Locale.ROOT, "| error grew | %s | %s | %.3g | %.3g (x%.2f) |", r.backend(),
                    r.config(), old.errorOverAllowance(), r.errorOverAllowance(), growth);
            if (growth > maxErrorGrowth || (!r.withinAllowance() && old.withinAllowance())) regressions.add(row);
        }
        faultDetection(base, fresh, regressions, notes);
        boolean calibrated = base.calibration() != null && fresh.calibration() != null
                && base.calibration().score() > 0 && fresh.calibration().score() > 0;
        double scale = calibrated ? fresh.calibration().score() / base.calibration().score() : 1;
        Map<String, LatencyResult> latBefore = index(base.latency(), r -> r.backend() + " / " + r.config());
        List<String> speedRows = new ArrayList<>();
        for (LatencyResult r : fresh.latency()) {
            LatencyResult old = latBefore.get(r.backend() + " / " + r.config());
            if (old == null || old.metric().score() <= 0) continue;
            double change = (r.metric().score() / scale / old.metric().score() - 1) * 100;
            String row = String.format(Locale.ROOT, "| %s | %s | %.4f | %.4f | %+.1f%% |", r.backend(), r.config(),
                    old.metric().score(), r.metric().score(), change);
            speedRows.add(row);
            if (change > maxSlowdownPct) {
                regressions.add(String.format(Locale.ROOT, "| slower | %s | %s | %.4f ms | %.4f ms (%+.1f%%) |",
                        r.backend(), r.config(), old.metric().score(), r.metric().score(), change));
            }
        }
        StringBuilder md = new StringBuilder();
        md.append("## Attest compare: ").append(regressions.isEmpty() ? "no regression" : regressions.size()
                + " regression" + (regressions.size() == 1 ? "" : "s")).append("\n\n");
        md.append(String.format(Locale.ROOT, "Bounds: slowdown <= %.1f%%, error/allowance growth <= x%.2f. ",
                maxSlowdownPct, maxErrorGrowth));
        md.append(calibrated ? String.format(Locale.ROOT, "Latencies relative to each run's calibration benchmark"
                + " (new/base machine speed ratio %.3f).%n%n", scale)
                : "No calibration benchmark in both reports: latencies compared as measured.\n\n");
        md.append(String.format(Locale.ROOT, "Conformance: base %d failures, new %d failures.%n%n", base.failures(),
                fresh.failures()));
        if (base.faultDetection() != null || fresh.faultDetection() != null) {
            md.append("Fault detection: base ").append(killed(base)).append(", new ").append(killed(fresh))
                    .append(".\n\n");
        }
        if (!regressions.isEmpty()) {
            md.append("### Regressions\n\n| kind | backend | item | base | new |\n|---|---|---|---|---|\n");
            regressions.forEach(r -> md.append(r).append('\n'));
            md.append('\n');
        }
        if (!notes.isEmpty()) {
            md.append("### Improvements\n\n| kind | backend | item | base | new |\n|---|---|---|---|---|\n");
            notes.forEach(r -> md.append(r).append('\n'));
            md.append('\n');
        }
        if (!speedRows.isEmpty()) {
            md.append("### Latency (ms/op)\n\n| backend | config | base | new | change (calibrated) |\n|---|---|---|---|---|\n");
            speedRows.forEach(r -> md.append(r).append('\n'));
        }
        return new Result(md.toString(), regressions.size());
    }

    /**
     * A planted bug that the base's suite killed and the new one's lets through is a regression: a property lost its
     * teeth. A mutant missing from either side (a run without fault detection, a catalog that changed) is not judged.
     */
    private static void faultDetection(Report base, Report fresh, List<String> regressions, List<String> notes) {
        if (base.faultDetection() == null || fresh.faultDetection() == null) return;
        Map<String, FaultDetection.MutantResult> before = index(base.faultDetection().mutants(),
                FaultDetection.MutantResult::id);
        for (FaultDetection.MutantResult m : fresh.faultDetection().mutants()) {
            FaultDetection.MutantResult old = before.get(m.id());
            if (old == null) continue;
            if (old.killed() && !m.killed()) {
                regressions.add("| survives | planted bug | `" + m.id() + "` | killed by " + old.killers().size()
                        + " | SURVIVED |");
            } else if (!old.killed() && m.killed()) {
                notes.add("| killed | planted bug | `" + m.id() + "` | survived | killed by " + m.killers().size() + " |");
            }
        }
    }

    private static String killed(Report r) {
        FaultDetection f = r.faultDetection();
        return f == null ? "not run" : f.summary().killed() + " of " + f.summary().mutants() + " planted bugs killed";
    }

    private static <T> Map<String, T> index(List<T> list, Function<T, String> key) {
        return list.stream().collect(Collectors.toMap(key, t -> t, (x, y) -> x));
    }
}
