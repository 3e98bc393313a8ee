package dev.attest.properties.mutants;

import dev.attest.properties.cases.AttentionCase;
import dev.attest.properties.cases.CacheCase;
import dev.attest.properties.cases.LayerCase;
import dev.attest.properties.contract.AttentionContract;
import dev.attest.properties.engine.PropertyFailure;
import dev.attest.properties.linear.LinearAttentionContract;
import dev.attest.properties.linear.LinearCase;
import dev.attest.spi.AttentionBackend;
import dev.attest.spi.LinearAttentionBackend;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kill matrix: runs every property of the right kit against every mutant of the planted-bug catalog
 * ({@link SoftmaxMutants}, {@link LinearMutants}) and fails the build if any mutant survives, that is, if no
 * property fails on it. It also fails when a catalog entry's pinned property does not kill its mutant with the
 * pinned phrase in its message (STYLE.md, "Planted bugs").
 *
 * <h2>How a property is run and judged</h2>
 * Each {@code required_*} and {@code optional_*} method of {@link AttentionContract} (softmax mutants) or
 * {@link LinearAttentionContract} (linear mutants) is invoked directly on the kit bound to the mutant, with the
 * default tries. The outcome is:
 * <ul>
 *   <li>{@code killed}: it threw a {@link PropertyFailure} or another {@link AssertionError} (or any other
 *       exception: a crash is a failure too);</li>
 *   <li>{@code not-applicable}: it threw {@link TestAbortedException} (the mutant does not declare what it needs);</li>
 *   <li>{@code survived}: it returned normally;</li>
 *   <li>{@code not-run}: the time budget ({@code -Dattest.killMatrix.budgetSeconds}, default 270) was spent first.
 *       Each mutant's pinned property always runs first, so the budget never hides a kill that is expected.</li>
 * </ul>
 * The run seed is {@code -Dattest.seed} when given, else {@link #DEFAULT_SEED}, so the matrix is reproducible.
 *
 * <h2>Output: {@code properties/target/kill-matrix.json} (format {@code attest-kill-matrix/1})</h2>
 * <pre>
 * {
 *   "format": "attest-kill-matrix/1",
 *   "seed": 20261123, "tries": 40, "seconds": 71.2,
 *   "summary": {"mutants": 26, "killed": 26, "survived": 0},
 *   "mutants": [
 *     {"id": "scale-missing", "kit": "SOFTMAX", "description": "...", "reportedAt": "...",
 *      "killed": true, "seconds": 1.9,
 *      "killers": ["required_S7_agrees_with_the_oracle_within_the_tolerance_model", ...],
 *      "hardest": {"minCasesToFailure": 2, "property": "required_S7_..."},
 *      "results": {
 *        "required_S7_agrees_with_the_oracle_within_the_tolerance_model":
 *          {"outcome": "killed", "casesToFailure": 2, "shrunk": "B=1 Hq=1 ...", "shrunkSize": 4, "millis": 35},
 *        "required_S8_two_runs_are_bit_identical": {"outcome": "survived", "millis": 120},
 *        ...}}]
 * }
 * </pre>
 * Keys and meanings, stable for readers such as the report:
 * <ul>
 *   <li>{@code results} has one entry per property of the mutant's kit, in method-name order; {@code outcome} is
 *       one of {@code killed}, {@code survived}, {@code not-applicable}, {@code not-run}.</li>
 *   <li>{@code casesToFailure}: cases the engine checked up to and including the first failing one (edge cases
 *       first, then random; {@link PropertyFailure#casesToFailure()}); {@code null} for a failure outside the
 *       engine (a one-shot assertion).</li>
 *   <li>{@code shrunk}: the shrunk counterexample as the engine describes it ({@code null} outside the engine).
 *       {@code shrunkSize} is B·Hq·Sq·Skv·D of that case with D = max(Dqk, Dv): for a layer, its core; for a KV
 *       cache scenario Sq = Skv = its longest sequence; for linear attention Sq = Skv = its length and
 *       D = max(dk, dv); {@code null} when the case is of another kind.</li>
 *   <li>{@code hardest.minCasesToFailure}: the fewest cases any killer needed; a large value means the mutant was
 *       nearly missed.</li>
 * </ul>
 * {@code kill-matrix.md} holds the same matrix as Markdown: a summary table (mutant, killers, fewest cases to
 * failure, shrunk size) and the catalog with descriptions and references.
 */
class KillMatrixTest {

    /** The run seed when {@code -Dattest.seed} is not given. */
    static final long DEFAULT_SEED = 20261123L;

    /** The kit bound to a softmax mutant. */
    static final class SoftmaxKit extends AttentionContract {
        private final AttentionBackend backend;

        SoftmaxKit(AttentionBackend backend) {
            this.backend = backend;
        }

        @Override
        protected AttentionBackend backend() {
            return backend;
        }

        @Override
        protected String reproduceCommand(String property, dev.attest.properties.engine.CaseKey key) {
            return KillMatrixTest.reproduceCommand();
        }
    }

    /** The kit bound to a linear mutant. */
    static final class LinearKit extends LinearAttentionContract {
        private final LinearAttentionBackend backend;

        LinearKit(LinearAttentionBackend backend) {
            this.backend = backend;
        }

        @Override
        protected LinearAttentionBackend backend() {
            return backend;
        }

        @Override
        protected String reproduceCommand(String property, dev.attest.properties.engine.CaseKey key) {
            return KillMatrixTest.reproduceCommand();
        }
    }

    /** A failure's repro line: the matrix itself, with its seed (the mutants are not discoverable backends). */
    static String reproduceCommand() {
        return "./build test -pl properties -am -Dsurefire.failIfNoSpecifiedTests=false -Dtest=KillMatrixTest"
                + " -Dattest.seed=" + System.getProperty("attest.seed", String.valueOf(DEFAULT_SEED));
    }

    /** One property run against one mutant. */
    record Result(String outcome, Integer casesToFailure, String shrunk, Long shrunkSize, long millis, String message) {
        boolean killed() {
            return outcome.equals("killed");
        }
    }

    /** One mutant's row of the matrix. */
    record Row(Mutant mutant, Map<String, Result> results, double seconds) {
        List<String> killers() {
            return results.entrySet().stream().filter(e -> e.getValue().killed()).map(Map.Entry::getKey).toList();
        }

        Map.Entry<String, Integer> hardest() {
            return results.entrySet().stream().filter(e -> e.getValue().killed() && e.getValue().casesToFailure() != null)
                    .map(e -> Map.entry(e.getKey(), e.getValue().casesToFailure()))
                    .min(Map.Entry.comparingByValue()).orElse(null);
        }
    }

    @Test
    void every_planted_bug_is_killed_by_at_least_one_property() throws IOException {
        String seedProperty = System.getProperty("attest.seed");
        boolean seedGiven = seedProperty != null && !seedProperty.isBlank();
        if (!seedGiven) System.setProperty("attest.seed", String.valueOf(DEFAULT_SEED));
        long budgetNanos = (long) (Double.parseDouble(System.getProperty("attest.killMatrix.budgetSeconds", "270")) * 1e9);
        long start = System.nanoTime();
        List<Row> rows = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        try {
            List<Mutant> catalog = new ArrayList<>(SoftmaxMutants.catalog());
            catalog.addAll(LinearMutants.catalog());
            for (Mutant mutant : catalog) {
                long mutantStart = System.nanoTime();
                List<Method> properties = propertiesOf(mutant.kit());
                if (mutant.expectedKiller() != null) {
                    Method pinned = properties.stream().filter(m -> m.getName().equals(mutant.expectedKiller()))
                            .findFirst().orElseThrow(() -> new AssertionError(mutant.id() + ": no property named "
                                    + mutant.expectedKiller()));
                    properties.remove(pinned);
                    properties.addFirst(pinned);
                }
                Map<String, Result> results = new LinkedHashMap<>();
                for (Method property : properties) {
                    if (System.nanoTime() - start > budgetNanos) {
                        results.put(property.getName(), new Result("not-run", null, null, null, 0, null));
                        continue;
                    }
                    results.put(property.getName(), run(mutant, property));
                }
                Map<String, Result> sorted = new LinkedHashMap<>();
                results.entrySet().stream().sorted(Map.Entry.comparingByKey())
                        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
                Row row = new Row(mutant, sorted, (System.nanoTime() - mutantStart) / 1e9);
                rows.add(row);
                check(row, problems);
                System.out.printf(Locale.ROOT, "kill matrix: %-30s %s in %.1f s, killed by %d: %s%n", mutant.id(),
                        row.killers().isEmpty() ? "SURVIVED" : "killed", row.seconds(), row.killers().size(),
                        row.killers());
            }
        } finally {
            if (!seedGiven) System.clearProperty("attest.seed");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long seed = seedGiven ? Long.parseLong(seedProperty.strip()) : DEFAULT_SEED;
        Path target = Path.of(System.getProperty("basedir", "."), "target");
        Files.createDirectories(target);
        Files.writeString(target.resolve("kill-matrix.json"), json(rows, seed, seconds));
        Files.writeString(target.resolve("kill-matrix.md"), markdown(rows, seed, seconds));
        System.out.printf(Locale.ROOT, "kill matrix: %d mutants in %.1f s, written to %s%n", rows.size(), seconds,
                target.resolve("kill-matrix.{json,md}"));
        assertTrue(problems.isEmpty(), () -> String.join("\n\n", problems));
    }

    /** Survivors, and pinned kills that did not happen or lack their phrase. */
    private static void check(Row row, List<String> problems) {
        Mutant m = row.mutant();
        if (row.killers().isEmpty()) {
            problems.add("mutant survived every property: " + m.id() + ": " + m.description() + " (reported at "
                    + m.reportedAt() + ")");
        }
        if (m.expectedKiller() == null) return;
        Result pinned = row.results().get(m.expectedKiller());
        if (pinned == null || !pinned.killed()) {
            problems.add(m.id() + ": the pinned property " + m.expectedKiller() + " did not kill it ("
                    + (pinned == null ? "missing" : pinned.outcome()) + ")");
        } else if (m.phrase() != null && (pinned.message() == null || !pinned.message().contains(m.phrase()))) {
            problems.add(m.id() + ": " + m.expectedKiller() + " killed it but its message lacks '" + m.phrase()
                    + "':\n" + pinned.message());
        }
    }

    /** The kit's required_ and optional_ properties, by name. */
    static List<Method> propertiesOf(Mutant.Kit kit) {
        Class<?> type = kit == Mutant.Kit.SOFTMAX ? AttentionContract.class : LinearAttentionContract.class;
        return new ArrayList<>(Arrays.stream(type.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers()) && m.getParameterCount() == 0)
                .filter(m -> m.getName().startsWith("required_") || m.getName().startsWith("optional_"))
                .sorted(Comparator.comparing(Method::getName)).toList());
    }

    private static Result run(Mutant mutant, Method property) {
        Object kit = mutant.kit() == Mutant.Kit.SOFTMAX
                ? new SoftmaxKit((AttentionBackend) mutant.backend().get())
                : new LinearKit((LinearAttentionBackend) mutant.backend().get());
        long t0 = System.nanoTime();
        Throwable thrown = null;
        try {
            property.invoke(kit);
        } catch (InvocationTargetException e) {
            thrown = e.getCause();
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        if (thrown == null) return new Result("survived", null, null, null, millis, null);
        if (thrown instanceof TestAbortedException) return new Result("not-applicable", null, null, null, millis, null);
        if (thrown instanceof PropertyFailure f) {
            return new Result("killed", f.casesToFailure(), String.valueOf(f.shrunk()), sizeOf(f.shrunk()), millis,
                    f.getMessage());
        }
        return new Result("killed", null, null, null, millis, thrown instanceof AssertionError
                ? thrown.getMessage() : thrown.toString());
    }

    /** B·Hq·Sq·Skv·D of a shrunk case (see the class comment), or null for a case of another kind. */
    static Long sizeOf(Object shrunk) {
        return switch (shrunk) {
            case AttentionCase c -> (long) c.batch() * c.qHeads() * c.qLength() * c.kvLength()
                    * Math.max(c.qkHeadDim(), c.vHeadDim());
            case LayerCase l -> sizeOf(l.core());
            case CacheCase c -> (long) c.batch() * c.qHeads() * c.maxLength() * c.maxLength()
                    * Math.max(c.qkHeadDim(), c.vHeadDim());
            case LinearCase c -> (long) c.batch() * c.qHeads() * c.length() * c.length() * Math.max(c.kDim(), c.vDim());
            case null, default -> null;
        };
    }

    // ---------------------------------------------------------------------------------------------------------
    // Output

    static String json(List<Row> rows, long seed, double seconds) {
        StringBuilder s = new StringBuilder();
        long killed = rows.stream().filter(r -> !r.killers().isEmpty()).count();
        s.append("{\n  \"format\": \"attest-kill-matrix/1\",\n");
        s.append("  \"seed\": ").append(seed).append(",\n");
        s.append("  \"tries\": ").append(Integer.getInteger("attest.tries", 40)).append(",\n");
        s.append("  \"seconds\": ").append(String.format(Locale.ROOT, "%.1f", seconds)).append(",\n");
        s.append("  \"summary\": {\"mutants\": ").append(rows.size()).append(", \"killed\": ").append(killed)
                .append(", \"survived\": ").append(rows.size() - killed).append("},\n");
        s.append("  \"mutants\": [");
        for (int r = 0; r < rows.size(); r++) {
            Row row = rows.get(r);
            Mutant m = row.mutant();
            s.append(r == 0 ? "\n" : ",\n").append("    {\"id\": ").append(q(m.id())).append(", \"kit\": ")
                    .append(q(m.kit().name())).append(", \"description\": ").append(q(m.description()))
                    .append(", \"reportedAt\": ").append(q(m.reportedAt())).append(",\n     \"killed\": ")
                    .append(!row.killers().isEmpty()).append(", \"seconds\": ")
                    .append(String.format(Locale.ROOT, "%.1f", row.seconds())).append(",\n     \"killers\": [");
            s.append(String.join(", ", row.killers().stream().map(KillMatrixTest::q).toList())).append("],\n");
            Map.Entry<String, Integer> hardest = row.hardest();
            s.append("     \"hardest\": ").append(hardest == null ? "null" : "{\"minCasesToFailure\": "
                    + hardest.getValue() + ", \"property\": " + q(hardest.getKey()) + "}").append(",\n");
            s.append("     \"results\": {");
            int i = 0;
            for (Map.Entry<String, Result> e : row.results().entrySet()) {
                Result x = e.getValue();
                s.append(i++ == 0 ? "\n" : ",\n").append("       ").append(q(e.getKey())).append(": {\"outcome\": ")
                        .append(q(x.outcome()));
                if (x.killed()) {
                    s.append(", \"casesToFailure\": ").append(x.casesToFailure()).append(", \"shrunk\": ")
                            .append(x.shrunk() == null ? "null" : q(x.shrunk())).append(", \"shrunkSize\": ")
                            .append(x.shrunkSize());
                }
                s.append(", \"millis\": ").append(x.millis()).append("}");
            }
            s.append("}}");
        }
        s.append("\n  ]\n}\n");
        return s.toString();
    }

    static String markdown(List<Row> rows, long seed, double seconds) {
        StringBuilder s = new StringBuilder("# Kill matrix\n\n");
        long killed = rows.stream().filter(r -> !r.killers().isEmpty()).count();
        s.append(String.format(Locale.ROOT, "%d of %d planted bugs killed in %.1f s (seed %d, %d tries).%n%n", killed,
                rows.size(), seconds, seed, Integer.getInteger("attest.tries", 40)));
        s.append("| mutant | kit | killers | fewest cases to failure | shrunk size | seconds |\n");
        s.append("|---|---|---|---|---|---|\n");
        for (Row row : rows) {
            Map.Entry<String, Integer> hardest = row.hardest();
            Long size = hardest == null ? null : row.results().get(hardest.getKey()).shrunkSize();
            s.append("| ").append(row.mutant().id()).append(" | ").append(row.mutant().kit()).append(" | ")
                    .append(row.killers().isEmpty() ? "**SURVIVED**" : row.killers().size() + ": "
                            + String.join(", ", row.killers().stream().map(KillMatrixTest::shortName).toList()))
                    .append(" | ").append(hardest == null ? "-" : hardest.getValue() + " (" + shortName(hardest.getKey()) + ")")
                    .append(" | ").append(size == null ? "-" : size).append(" | ")
                    .append(String.format(Locale.ROOT, "%.1f", row.seconds())).append(" |\n");
        }
        s.append("\n## Catalog\n\n| mutant | bug | reported at |\n|---|---|---|\n");
        for (Row row : rows) {
            s.append("| ").append(row.mutant().id()).append(" | ").append(row.mutant().description().replace("|", "\\|"))
                    .append(" | ").append(row.mutant().reportedAt().replace("|", "\\|")).append(" |\n");
        }
        return s.toString();
    }

    /** {@code required_S7_agrees_with_the_oracle_within...} as {@code S7 agrees with the oracle}, for tables. */
    static String shortName(String property) {
        String[] words = property.split("_");
        if (words.length < 3) return property;
        return words[1] + " " + String.join(" ", Arrays.copyOfRange(words, 2, Math.min(words.length, 6)));
    }

    private static String q(String text) {
        StringBuilder s = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                case '\t' -> s.append("\\t");
                default -> {
                    if (c < 0x20) s.append(String.format("\\u%04x", (int) c));
                    else s.append(c);
                }
            }
        }
        return s.append('"').toString();
    }
}
