package dev.attest.reports;

import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.Callable;

@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"The CI gate: compares two reports and prints a Markdown summary (for a CI job summary).",
                "Exits 1 on a regression: a property that newly fails; a property that passed or failed in BASE and"
                        + " is skipped, unsupported, unavailable or an expected failure in NEW (weakened, as is a"
                        + " backend that became unavailable); an entry of BASE that NEW lacks (a backend, conformance"
                        + " cell, accuracy, latency or KV-cache entry, linear-attention point, the calibration, a"
                        + " planted bug or the whole fault-detection section); a planted bug that the base killed and"
                        + " that now survives every property; an error (error/allowance) that grew more than"
                        + " --max-error-growth times, or a slowdown beyond --max-slowdown percent, each latency taken"
                        + " relative to the calibration benchmark of its own run.",
                "Exits 2 on bad input: an unreadable or incomplete report, a bound that is not a finite number in"
                        + " range, or reports of different parts of a run (a shard against a whole run or another"
                        + " shard: merge the shards first)."},
        footer = {"", "Examples:", "  ./attest compare base/report.json new/report.json >> \"$GITHUB_STEP_SUMMARY\"",
                "  ./attest compare base.json new.json --max-slowdown 25 --max-error-growth 2",
                "  ./attest compare base/report.json check.json --allow-missing   (NEW is a check: no measurements)"})
public final class CompareCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BASE.json")
    Path base;
    @Parameters(index = "1", paramLabel = "NEW.json")
    Path fresh;
    @Option(names = "--max-slowdown", paramLabel = "PCT", defaultValue = "20",
            description = "largest allowed slowdown in percent, finite and >= 0 (default: ${DEFAULT-VALUE})")
    double maxSlowdown;
    @Option(names = "--max-error-growth", paramLabel = "X", defaultValue = "2",
            description = "largest allowed factor of growth of error/allowance, finite and >= 1 (default:"
                    + " ${DEFAULT-VALUE})")
    double maxErrorGrowth;
    @Option(names = "--allow-missing", description = "entries of BASE that NEW lacks are listed, not counted as"
            + " regressions (e.g. NEW is a check or a --no-latency run)")
    boolean allowMissing;
    @Option(names = "--allow-weakened", description = "a property that passed or failed in BASE and is skipped,"
            + " unsupported, unavailable or xfail in NEW, and a backend that became unavailable, are listed, not"
            + " counted as regressions")
    boolean allowWeakened;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Rules rules = new Rules(maxSlowdown, maxErrorGrowth, allowMissing, allowWeakened);
        Report a = ReportJson.read(base), b = ReportJson.read(fresh);
        requireSamePart(base, a, fresh, b);
        Comparison.Result result = Comparison.compare(a, b, rules);
        spec.commandLine().getOut().print(result.markdown());
        return result.regressions() > 0 ? AttestCli.FAILED : AttestCli.OK;
    }

    /**
     * How to judge: the bounds, and what the user explicitly allows. A bound that is NaN, infinite or out of range
     * would make every comparison against it false, so no growth or slowdown could ever be a regression: refused.
     */
    public record Rules(double maxSlowdownPct, double maxErrorGrowth, boolean allowMissing, boolean allowWeakened) {
        public Rules {
            bound("--max-slowdown", maxSlowdownPct, 0);
            bound("--max-error-growth", maxErrorGrowth, 1);
        }

        private static void bound(String option, double value, int min) {
            if (!Double.isFinite(value) || value < min) {
                throw new UsageException(option + " must be a finite number >= " + min + ", got " + value);
            }
        }
    }

    /**
     * A shard's report holds only its own work items: against a whole run the rest would all read as missing (as
     * BASE) or be judged by nothing (as NEW); either way the result would say nothing about the run.
     */
    static void requireSamePart(Path baseFile, Report base, Path freshFile, Report fresh) {
        String was = base.run().shard(), is = fresh.run().shard();
        if (!Objects.equals(was, is)) {
            throw new UsageException(freshFile + ": run.shard is " + part(is) + " but " + baseFile + "'s is "
                    + part(was) + "; compare a whole run with a whole run (attest merge the shards first) or a shard"
                    + " with the same shard");
        }
    }

    private static String part(String shard) {
        return shard == null ? "null (a whole run)" : "'" + shard + "'";
    }
}
