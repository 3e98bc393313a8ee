package dev.attest.properties.engine;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a passing run did: how many cases it ran and rejected, and how the checked values were classified. The
 * statistics are how a reader tells a property that checked something from one that ran forty copies of the
 * trivial case.
 *
 * @param property the property's name
 * @param runSeed the run seed, so that a passing run can be repeated too
 * @param cases all cases run, edge cases and rejected ones included
 * @param edgeCases how many of them were edge cases
 * @param rejected how many were rejected by {@link Cases#assume}
 * @param labels label counts from {@link Arbitrary#classify}, over the checked (not rejected) cases, most common
 *     first
 */
public record PropertyReport(String property, long runSeed, int cases, int edgeCases, int rejected,
        Map<String, Integer> labels) {

    public PropertyReport {
        labels = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(labels));
    }

    /** Cases that ran to the end of the check. */
    public int checked() {
        return cases - rejected;
    }

    /** The share of checked cases that carry {@code label}, in percent (0 when nothing was checked). */
    public double percent(String label) {
        int count = labels.getOrDefault(label, 0);
        return checked() == 0 ? 0 : 100.0 * count / checked();
    }

    /** One line, such as {@code property p: 46 cases (6 edge), 0 rejected, seed 42; labels: causal 35%, gqa 20%}. */
    public String summary() {
        String line = "property " + property + ": " + cases + " cases (" + edgeCases + " edge), " + rejected
                + " rejected, seed " + runSeed;
        if (labels.isEmpty()) {
            return line;
        }
        return line + "; labels: " + labels.keySet().stream()
                .map(label -> label + " " + Math.round(percent(label)) + "%")
                .collect(Collectors.joining(", "));
    }

    /** Prints {@link #summary()} to {@code System.out}. */
    public void printSummary() {
        System.out.println(summary());
    }
}
