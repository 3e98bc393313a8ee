package dev.attest.reports;

import dev.attest.reports.golden.Golden;
import dev.attest.reports.golden.GoldenException;
import dev.attest.reports.golden.GoldenResult;
import dev.attest.reports.model.PropertyResult;
import dev.attest.reports.model.Status;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code golden check}: every case of a directory read and checked here first (a broken case is one line naming
 * the file and field, and the others still run), then each backend run over the valid cases in a worker JVM of its
 * own ({@link Supervisor}), so a backend that exits, hangs or crashes is a failure of that backend and cannot end
 * the check, and no backend sees arrays another one wrote.
 */
final class GoldenCheck {
    private GoldenCheck() {
    }

    /** Counts of one check; the exit code follows from them. */
    record Tally(int invalidCases, int passed, int failed, int unsupported) {
        int exitCode() {
            if (invalidCases > 0) return AttestCli.USAGE;
            return failed > 0 || passed == 0 ? AttestCli.FAILED : AttestCli.OK;
        }
    }

    static Tally run(Path dir, RunSettings settings, Discovery.Selection selection, PrintWriter out, PrintWriter err) {
        List<String> valid = new ArrayList<>();
        int invalid = 0;
        for (String name : Golden.caseNames(dir)) {
            try {
                Golden.load(dir, name);
                valid.add(name);
            } catch (GoldenException e) {
                err.println("attest: " + e.getMessage());
                invalid++;
            }
        }
        int passed = 0, failed = selection.failures().size(), unsupported = 0;
        for (PropertyResult f : selection.failures()) line(out, "(discovery)", f.backend(), "FAIL", f.message());
        selection.linear().forEach(b -> err.println("attest: " + b.name()
                + " is a linear-attention backend: golden cases are softmax attention, not checked"));
        try {
            for (ProviderInfo backend : selection.softmax()) {
                if (!backend.available()) {
                    err.println("attest: " + backend.name() + " is unavailable, not checked: "
                            + backend.unavailableReason());
                    continue;
                }
                if (valid.isEmpty()) break;
                Set<String> seen = new LinkedHashSet<>();
                Supervisor.Outcome outcome = Supervisor.run(WorkerRequest.golden(settings, backend,
                        dir.toAbsolutePath().toString(), valid), e -> {
                    if (e.golden() != null) print(out, e.golden());
                    else if (e.property() != null) print(out, new GoldenResult("(worker)", e.property().backend(),
                            e.property().status(), e.property().message()));
                });
                for (WorkerEvent e : outcome.events()) {
                    GoldenResult r = e.golden();
                    if (r == null) {
                        failed++;                 // the worker's own failure cell
                        continue;
                    }
                    seen.add(r.goldenCase());
                    switch (r.status()) {
                        case PASS -> passed++;
                        case UNSUPPORTED -> unsupported++;
                        default -> failed++;
                    }
                }
                if (!outcome.finished()) {
                    failed++;
                    List<String> notRun = valid.stream().filter(c -> !seen.contains(c)).toList();
                    line(out, "(worker)", backend.name(), "FAIL", backend.name() + " " + outcome.failure()
                            + (notRun.isEmpty() ? "" : "; not checked: " + String.join(", ", notRun)));
                }
            }
        } finally {
            Supervisor.cleanUp();
        }
        Tally tally = new Tally(invalid, passed, failed, unsupported);
        out.printf(Locale.ROOT, "attest: golden check of %d case(s)%s: %d passed, %d failed, %d unsupported%n",
                valid.size(), invalid == 0 ? "" : " (" + invalid + " unreadable, named above)", passed, failed,
                unsupported);
        if (invalid == 0 && failed == 0 && passed == 0) {
            err.println("attest: no case was checked on any backend (every one unavailable or unsupported): nothing"
                    + " conforms, so this is no pass");
        }
        out.flush();
        err.flush();
        return tally;
    }

    private static void print(PrintWriter out, GoldenResult r) {
        String verdict = switch (r.status()) {
            case PASS -> "pass";
            case UNSUPPORTED -> "unsupported";
            default -> "FAIL";
        };
        line(out, r.goldenCase(), r.backend(), verdict, r.message());
    }

    private static void line(PrintWriter out, String goldenCase, String backend, String verdict, String message) {
        out.println(String.format(Locale.ROOT, "%-40s %-" + Math.max(14, backend.length()) + "s %s  %s", goldenCase,
                backend, verdict, message));
        out.flush();
    }
}
