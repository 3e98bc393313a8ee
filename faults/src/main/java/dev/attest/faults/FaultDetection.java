package dev.attest.faults;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What the kill matrix found ({@link KillMatrix#run}): one row per mutant of the planted-bug catalog, one cell per
 * property of its kit. Written as {@code kill-matrix.json} (format {@value #FORMAT}, see {@link KillMatrixFiles})
 * and embedded as the {@code faultDetection} section of report.json; the field meanings are documented in
 * docs/report-schema.md.
 *
 * @param format  {@value #FORMAT}
 * @param seed    the run seed every property ran with
 * @param tries   random cases per property (after the edge cases)
 * @param seconds wall time of the whole matrix
 * @param summary counts
 * @param mutants one row per mutant, in catalog order
 */
public record FaultDetection(String format, long seed, int tries, double seconds, Summary summary,
                             List<MutantResult> mutants) {

    public static final String FORMAT = "attest-kill-matrix/1";

    public FaultDetection {
        mutants = mutants == null ? List.of() : List.copyOf(mutants);
    }

    /** A matrix over {@code mutants}, with its summary counted from them. */
    public static FaultDetection of(long seed, int tries, double seconds, List<MutantResult> mutants) {
        int killed = (int) mutants.stream().filter(MutantResult::killed).count();
        return new FaultDetection(FORMAT, seed, tries, tenths(seconds),
                new Summary(mutants.size(), killed, mutants.size() - killed), mutants);
    }

    /** How many mutants, killed by at least one property, and killed by none. */
    public record Summary(int mutants, int killed, int survived) {
    }

    /**
     * One mutant's row.
     *
     * @param killed     whether at least one property killed it
     * @param seconds    wall time of its row
     * @param killers    the properties that killed it, in method-name order
     * @param firstKill  the kill that needed the fewest cases (null when it survived)
     * @param pinnedMiss null when the catalog's pinned property killed it with the pinned phrase (or none is pinned);
     *                   else what went wrong
     * @param results    one cell per property of its kit, in method-name order
     */
    public record MutantResult(String id, Mutant.Kit kit, String description, String reportedAt, boolean killed,
                               double seconds, List<String> killers, FirstKill firstKill,
                               @JsonInclude(JsonInclude.Include.NON_NULL) String pinnedMiss,
                               Map<String, Cell> results) {
        public MutantResult {
            killers = killers == null ? List.of() : List.copyOf(killers);
        }

        /** A row whose {@code killed}, {@code killers} and {@code firstKill} are derived from its cells. */
        public static MutantResult of(String id, Mutant.Kit kit, String description, String reportedAt, double seconds,
                                      String pinnedMiss, Map<String, Cell> results) {
            List<String> killers = results.entrySet().stream().filter(e -> e.getValue().killed())
                    .map(Map.Entry::getKey).toList();
            return new MutantResult(id, kit, description, reportedAt, !killers.isEmpty(), tenths(seconds), killers,
                    firstKill(results), pinnedMiss, results);
        }

        /** The engine kill with the fewest cases; else the first one-shot kill; null when nothing killed it. */
        static FirstKill firstKill(Map<String, Cell> results) {
            return results.entrySet().stream().filter(e -> e.getValue().killed())
                    .min(Comparator.comparing((Map.Entry<String, Cell> e) -> e.getValue().casesToFailure(),
                            Comparator.nullsLast(Comparator.naturalOrder())))
                    .map(e -> new FirstKill(e.getKey(), e.getValue().casesToFailure(), e.getValue().shrunk(),
                            e.getValue().shrunkSize()))
                    .orElse(null);
        }
    }

    /**
     * The kill that needed the fewest cases: how close the mutant came to escaping.
     *
     * @param casesToFailure cases the engine checked up to and including the first failing one; null when every
     *                       kill was a one-shot assertion outside the engine
     * @param shrunk         the shrunk counterexample as the engine prints it, or null
     * @param shrunkSize     B·Hq·Sq·Skv·D of the shrunk case (see {@link KillMatrix#sizeOf}), or null
     */
    public record FirstKill(String property, Integer casesToFailure, String shrunk, Long shrunkSize) {
        /** "7 (S1 gqa equals mha with)": the cases up to the first failure and the property; "-" for a one-shot kill. */
        public String casesAndProperty() {
            return casesToFailure == null ? "-" : casesToFailure + " (" + shortName(property) + ")";
        }
    }

    /**
     * One property against one mutant.
     *
     * @param casesToFailure for a kill by the engine: cases checked up to and including the first failing one
     * @param shrunk         for a kill by the engine: the shrunk counterexample
     * @param shrunkSize     for a kill by the engine: B·Hq·Sq·Skv·D of the shrunk case, when it is of a known kind
     * @param millis         how long the property ran
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Cell(Outcome outcome, Integer casesToFailure, String shrunk, Long shrunkSize, long millis) {
        public boolean killed() {
            return outcome == Outcome.KILLED;
        }
    }

    /** What one property did to one mutant. */
    public enum Outcome {
        /** It failed: a property failure, another assertion or a crash. */
        @JsonProperty("killed") KILLED,
        /** It passed. */
        @JsonProperty("survived") SURVIVED,
        /** It was skipped: the mutant does not declare what the property needs. */
        @JsonProperty("not-applicable") NOT_APPLICABLE,
        /** The time budget was spent before it ran. */
        @JsonProperty("not-run") NOT_RUN;

        /** The name in JSON and tables. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** The mutants that no property killed. */
    public List<MutantResult> survivors() {
        return mutants.stream().filter(m -> !m.killed()).toList();
    }

    /** The killed mutant whose first kill needed the most cases (the one most nearly missed), or null. */
    public MutantResult hardest() {
        return mutants.stream().filter(m -> m.firstKill() != null && m.firstKill().casesToFailure() != null)
                .max(Comparator.comparingInt((MutantResult m) -> m.firstKill().casesToFailure())).orElse(null);
    }

    /**
     * {@code required_S7_agrees_with_the_oracle_within_...} as {@code S7 agrees with the oracle}: the clause and the
     * first four words of the rule, for tables.
     */
    public static String shortName(String property) {
        String[] words = property.split("_");
        if (words.length < 3) return property;
        return words[1] + " " + String.join(" ", Arrays.copyOfRange(words, 2, Math.min(words.length, 6)));
    }

    static double tenths(double seconds) {
        return Math.round(seconds * 10) / 10.0;
    }
}
