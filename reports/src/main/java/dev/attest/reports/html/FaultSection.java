package dev.attest.reports.html;

import dev.attest.faults.FaultDetection;
import dev.attest.faults.FaultDetection.Cell;
import dev.attest.faults.FaultDetection.FirstKill;
import dev.attest.faults.FaultDetection.MutantResult;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The report's "Fault detection" section, all text formatted: a summary sentence, one table row per planted bug
 * (survivors and the hardest one marked), and a kill grid per kit (mutants by properties, a mark per kill).
 *
 * @param sentence  "23 of 23 planted bugs killed in 88 s (seed ..., ... tries per property)."
 * @param allKilled whether no mutant survived
 * @param hardest   the sentence naming the mutant whose first kill needed the most cases, or null
 * @param rows      one per mutant, in catalog order
 * @param grids     one per kit that has mutants
 */
public record FaultSection(String sentence, boolean allKilled, String hardest, List<Row> rows, List<Grid> grids) {

    /**
     * One mutant.
     *
     * @param css        {@code survived}, {@code hardest} or empty: how the row is highlighted
     * @param references its public references, each a link when it is a URL
     * @param killedBy   "SURVIVED"; or the number of killers and their short names; or, past {@link #LISTED}
     *                   killers, their number by clause ("15: S1 ×4, S2 ×4, S3 ×3, S4, S5 ×2, S7"), with the names
     *                   in {@code killers} (the page folds them away, so that a row stays a few lines high)
     * @param killers    the killers' short names when folded, else empty
     * @param firstCases "2 (S7 agrees with the oracle)": fewest cases to the first failure, and which property
     */
    public record Row(String id, String kit, String css, String description, List<Reference> references,
                      String killedBy, String killers, String firstCases, String shrunkSize, String shrunk,
                      String seconds, String pinnedMiss) {
    }

    /** Up to this many killers are listed in the row; more are counted by clause and folded away. */
    static final int LISTED = 3;

    /** A reference: {@code href} is null when the text is not a URL; {@code separator} goes before it ("; "). */
    public record Reference(String separator, String href, String text, String note) {
    }

    /** A kit's kill grid: columns are its properties (short name, full name), rows its mutants. */
    public record Grid(String kit, List<String[]> columns, List<GridRow> rows) {
    }

    /** A mutant's marks: each cell is {css class, mark, title}. */
    public record GridRow(String id, boolean killed, List<String[]> cells) {
    }

    public static FaultSection of(FaultDetection m) {
        MutantResult hardest = m.hardest();
        List<Row> rows = m.mutants().stream().map(r -> row(r, r == hardest)).toList();
        List<MutantResult> survivors = m.survivors();
        String sentence = String.format(Locale.ROOT, "%d of %d planted bugs killed in %s (seed %d, %d tries per"
                + " property).", m.summary().killed(), m.summary().mutants(), seconds(m.seconds()), m.seed(), m.tries());
        if (!survivors.isEmpty()) {
            sentence += " " + survivors.size() + " survived every property: "
                    + String.join(", ", survivors.stream().map(MutantResult::id).toList())
                    + ". The suite has lost its teeth for " + (survivors.size() == 1 ? "this bug." : "these bugs.");
        }
        String hardestText = hardest == null ? null : "Hardest to find: " + hardest.id() + ", first failure at case "
                + hardest.firstKill().casesAndProperty()
                + "; the more cases a bug needs before its first failure, the nearer it came to escaping.";
        return new FaultSection(sentence, survivors.isEmpty(), hardestText, rows, grids(m));
    }

    private static Row row(MutantResult r, boolean hardest) {
        FirstKill first = r.firstKill();
        String names = String.join(", ", r.killers().stream().map(FaultDetection::shortName).toList());
        boolean fold = r.killers().size() > LISTED;
        String killedBy = !r.killed() ? "SURVIVED" : r.killers().size() + ": " + (fold ? byClause(r.killers()) : names);
        return new Row(r.id(), r.kit().name().toLowerCase(Locale.ROOT), !r.killed() ? "survived" : hardest ? "hardest" : "",
                r.description(), references(r.reportedAt()), killedBy, fold ? names : "",
                first == null ? "-" : first.casesAndProperty(),
                first == null || first.shrunkSize() == null ? "-" : Long.toString(first.shrunkSize()),
                first == null || first.shrunk() == null ? "" : first.shrunk(), seconds(r.seconds()), r.pinnedMiss());
    }

    /** "S1 ×4, S2 ×4, S3 ×3, S4, S5 ×2, S7": how many of the killers each clause has. */
    static String byClause(List<String> killers) {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        for (String k : killers) counts.merge(FaultDetection.shortName(k).split(" ")[0], 1, Integer::sum);
        List<String> parts = new ArrayList<>();
        counts.forEach((clause, n) -> parts.add(n == 1 ? clause : clause + " ×" + n));
        return String.join(", ", parts);
    }

    /** "url (note); url; text" as references: a URL becomes a link, the rest stays text. */
    static List<Reference> references(String reportedAt) {
        List<Reference> out = new ArrayList<>();
        for (String part : reportedAt.split(";\\s*")) {
            String p = part.strip(), separator = out.isEmpty() ? "" : "; ";
            if (p.startsWith("https://") || p.startsWith("http://")) {
                int space = p.indexOf(' ');
                String url = space < 0 ? p : p.substring(0, space);
                out.add(new Reference(separator, url, url.replaceFirst("^https?://(www\\.)?", ""),
                        space < 0 ? "" : p.substring(space + 1).strip()));
            } else if (!p.isEmpty()) {
                out.add(new Reference(separator, null, p, ""));
            }
        }
        return out;
    }

    private static List<Grid> grids(FaultDetection m) {
        Map<String, List<MutantResult>> byKit = new LinkedHashMap<>();
        m.mutants().forEach(r -> byKit.computeIfAbsent(r.kit().name().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(r));
        List<Grid> grids = new ArrayList<>();
        byKit.forEach((kit, mutants) -> {
            // by clause, then rule (optional_L3 between L2 and L4, not before L1)
            TreeSet<String> properties = new TreeSet<>(java.util.Comparator.comparing(FaultDetection::shortName)
                    .thenComparing(java.util.Comparator.naturalOrder()));
            mutants.forEach(r -> properties.addAll(r.results().keySet()));
            List<String[]> columns = properties.stream().map(p -> new String[]{FaultDetection.shortName(p), p}).toList();
            List<GridRow> rows = mutants.stream().map(r -> new GridRow(r.id(), r.killed(), properties.stream().map(p -> {
                Cell c = r.results().get(p);
                String title = r.id() + " / " + p + ": " + (c == null ? "not in the matrix" : c.outcome().label()
                        + (c.casesToFailure() == null ? "" : " at case " + c.casesToFailure()));
                if (c == null) return new String[]{"na", "", title};
                return switch (c.outcome()) {
                    case KILLED -> new String[]{"k", "●", title};
                    case SURVIVED -> new String[]{"s", "", title};
                    case NOT_APPLICABLE -> new String[]{"na", "–", title};
                    case NOT_RUN -> new String[]{"nr", "?", title};
                };
            }).toList())).toList();
            grids.add(new Grid(kit, columns, rows));
        });
        return grids;
    }

    static String seconds(double s) {
        return s >= 10 ? String.format(Locale.ROOT, "%.0f s", s) : String.format(Locale.ROOT, "%.1f s", s);
    }
}
