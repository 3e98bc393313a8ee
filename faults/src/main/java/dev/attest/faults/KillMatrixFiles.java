package dev.attest.faults;

import dev.attest.faults.FaultDetection.FirstKill;
import dev.attest.faults.FaultDetection.MutantResult;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The kill matrix as files: {@code kill-matrix.json} (Jackson 3; format {@value FaultDetection#FORMAT}, the same
 * object as report.json's {@code faultDetection} section, documented in docs/report-schema.md) and
 * {@code kill-matrix.md} (a summary table and the catalog with its references). {@link #parse} refuses a file that
 * is not a kill matrix with one line that names the offending field; {@link #requireWholeCatalog} one that is not a
 * matrix of the whole current catalog.
 */
public final class KillMatrixFiles {
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private KillMatrixFiles() {
    }

    public static String toJson(FaultDetection matrix) {
        return MAPPER.writeValueAsString(matrix) + "\n";
    }

    /**
     * Reads a kill-matrix JSON file.
     *
     * @throws IllegalArgumentException starting with the file name, when it is missing, unreadable or not a kill matrix
     */
    public static FaultDetection read(Path file) {
        try {
            return parse(file.toString(), Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /**
     * Parses a kill matrix and checks it: the format string, every field a reader needs, and that the summary and
     * each row's {@code killed} and {@code killers} agree with its cells.
     *
     * @throws IllegalArgumentException {@code "<name>: ..."}, naming the offending field
     */
    public static FaultDetection parse(String name, String text) {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(text);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(name + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (tree == null || !tree.isObject()) {
            throw new IllegalArgumentException(name + ": not a kill matrix (expected a JSON object with \"format\": \""
                    + FaultDetection.FORMAT + "\")");
        }
        JsonNode format = tree.get("format");
        if (format == null || !format.isString() || !format.asString().equals(FaultDetection.FORMAT)) {
            throw new IllegalArgumentException(name + ": field format is " + (format == null ? "missing" : format)
                    + ", expected \"" + FaultDetection.FORMAT + "\" (write one with `attest faults` or"
                    + " `./build test -pl faults -am`)");
        }
        JsonFields check = new JsonFields(name);
        for (String field : List.of("seed", "tries", "seconds")) check.number(tree, field, field);
        JsonNode summary = check.object(tree, "summary", "summary");
        for (String field : List.of("mutants", "killed", "survived")) check.number(summary, field, "summary." + field);
        JsonNode mutants = check.array(tree, "mutants", "mutants");
        for (int i = 0; i < mutants.size(); i++) {
            String at = "mutants[" + i + "]";
            JsonNode m = check.object(mutants, i, at);
            for (String field : List.of("id", "kit", "description", "reportedAt")) check.string(m, field, at + "." + field);
            check.bool(m, "killed", at + ".killed");
            check.array(m, "killers", at + ".killers");
            JsonNode results = check.object(m, "results", at + ".results");
            for (Map.Entry<String, JsonNode> cell : results.properties()) {
                check.string(check.object(results, cell.getKey(), at + ".results." + cell.getKey()), "outcome",
                        at + ".results." + cell.getKey() + ".outcome");
            }
        }
        FaultDetection matrix;
        try {
            matrix = MAPPER.treeToValue(tree, FaultDetection.class);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(name + ": field " + path(e) + " is malformed ("
                    + e.getOriginalMessage().lines().findFirst().orElse("") + ")");
        }
        consistent(name, matrix);
        return matrix;
    }

    /**
     * Checks that {@code matrix} is a matrix of this Attest's whole catalog ({@link Catalog#all()}), as a report's
     * fault-detection section must be: every mutant once, none unknown, each of its kit, and a cell for each property
     * of its kit ({@link #properties}) and for nothing else. A matrix of part of the catalog ({@code attest faults
     * --mutant}) or of another version's would otherwise stand for the whole, and an invented cell could claim a kill.
     *
     * @throws IllegalArgumentException {@code "<name>: ..."}, naming the first missing or unknown mutant or property
     */
    public static void requireWholeCatalog(String name, FaultDetection matrix) {
        Map<String, Mutant> catalog = new LinkedHashMap<>();
        Catalog.all().forEach(m -> catalog.put(m.id(), m));
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < matrix.mutants().size(); i++) {
            MutantResult row = matrix.mutants().get(i);
            String at = name + ": field mutants[" + i + "]";
            Mutant mutant = catalog.get(row.id());
            if (mutant == null) {
                throw new IllegalArgumentException(at + ".id '" + row.id() + "' is not a mutant of this Attest's"
                        + " catalog (see `attest faults --list`)");
            }
            if (!seen.add(row.id())) throw new IllegalArgumentException(at + ".id '" + row.id() + "' is given twice");
            if (row.kit() != mutant.kit()) {
                throw new IllegalArgumentException(at + ".kit is " + row.kit() + ", but the catalog's " + row.id()
                        + " is judged by the " + mutant.kit() + " kit");
            }
            List<String> expected = properties(mutant.kit());
            for (String property : expected) {
                if (!row.results().containsKey(property)) {
                    throw new IllegalArgumentException(at + ".results lacks " + property + ", a property of the "
                            + mutant.kit() + " kit");
                }
            }
            for (String property : row.results().keySet()) {
                if (!expected.contains(property)) {
                    throw new IllegalArgumentException(at + ".results." + property + " is not a property of the "
                            + mutant.kit() + " kit");
                }
            }
        }
        for (String id : catalog.keySet()) {
            if (!seen.contains(id)) {
                throw new IllegalArgumentException(name + ": mutant " + id + " of the catalog is missing (" + seen.size()
                        + " of " + catalog.size() + " given; a matrix of part of the catalog cannot stand for the whole)");
            }
        }
    }

    /** The cells a row of this kit holds: every required_ and optional_ property of the kit, by name. */
    public static List<String> properties(Mutant.Kit kit) {
        return KillMatrix.propertiesOf(kit).stream().map(java.lang.reflect.Method::getName).toList();
    }

    /** {@code mutants[3].results.required_S7_...outcome}: where in the file Jackson failed. */
    private static String path(JacksonException e) {
        StringBuilder path = new StringBuilder();
        for (JacksonException.Reference r : e.getPath()) {
            if (r.getPropertyName() != null) path.append(path.isEmpty() ? "" : ".").append(r.getPropertyName());
            else if (r.getIndex() >= 0) path.append('[').append(r.getIndex()).append(']');
        }
        return path.isEmpty() ? "(top level)" : path.toString();
    }

    /** The summary and the rows agree with the cells: a hand-edited or truncated file is refused. */
    private static void consistent(String name, FaultDetection m) {
        for (int i = 0; i < m.mutants().size(); i++) {
            MutantResult r = m.mutants().get(i);
            List<String> killers = r.results().entrySet().stream().filter(e -> e.getValue().killed())
                    .map(Map.Entry::getKey).toList();
            if (!killers.equals(r.killers())) {
                throw new IllegalArgumentException(name + ": field mutants[" + i + "].killers is " + r.killers()
                        + " but its results were killed by " + killers);
            }
            if (r.killed() == killers.isEmpty()) {
                throw new IllegalArgumentException(name + ": field mutants[" + i + "].killed is " + r.killed()
                        + " but " + killers.size() + " properties killed it");
            }
            FirstKill first = MutantResult.firstKill(r.results());
            if (!java.util.Objects.equals(first, r.firstKill())) {
                throw new IllegalArgumentException(name + ": field mutants[" + i + "].firstKill is " + r.firstKill()
                        + " but its results give " + first);
            }
        }
        int killed = (int) m.mutants().stream().filter(MutantResult::killed).count();
        FaultDetection.Summary s = m.summary();
        if (s.mutants() != m.mutants().size() || s.killed() != killed || s.survived() != m.mutants().size() - killed) {
            throw new IllegalArgumentException(name + ": field summary is " + s.mutants() + " mutants, " + s.killed()
                    + " killed, " + s.survived() + " survived, but the rows hold " + m.mutants().size() + " mutants, "
                    + killed + " killed");
        }
    }

    /** The matrix as Markdown: a summary line, a table (mutant, killers, fewest cases, shrunk size) and the catalog. */
    public static String markdown(FaultDetection m) {
        StringBuilder s = new StringBuilder("# Kill matrix\n\n");
        s.append(String.format(Locale.ROOT, "%d of %d planted bugs killed in %.1f s (seed %d, %d tries).%n%n",
                m.summary().killed(), m.summary().mutants(), m.seconds(), m.seed(), m.tries()));
        s.append("| mutant | kit | killers | fewest cases to failure | shrunk size | seconds |\n");
        s.append("|---|---|---|---|---|---|\n");
        for (MutantResult row : m.mutants()) {
            FirstKill first = row.firstKill();
            s.append("| ").append(row.id()).append(" | ").append(row.kit()).append(" | ")
                    .append(row.killers().isEmpty() ? "**SURVIVED**" : row.killers().size() + ": "
                            + String.join(", ", row.killers().stream().map(FaultDetection::shortName).toList()))
                    .append(" | ").append(first == null ? "-" : first.casesAndProperty())
                    .append(" | ").append(first == null || first.shrunkSize() == null ? "-" : first.shrunkSize())
                    .append(" | ").append(String.format(Locale.ROOT, "%.1f", row.seconds())).append(" |\n");
        }
        s.append("\n## Catalog\n\n| mutant | bug | reported at |\n|---|---|---|\n");
        for (MutantResult row : m.mutants()) {
            s.append("| ").append(row.id()).append(" | ").append(row.description().replace("|", "\\|"))
                    .append(" | ").append(row.reportedAt().replace("|", "\\|")).append(" |\n");
        }
        return s.toString();
    }
}
