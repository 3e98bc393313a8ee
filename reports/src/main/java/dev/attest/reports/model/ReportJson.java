package dev.attest.reports.model;

import dev.attest.faults.JsonFields;
import dev.attest.faults.KillMatrixFiles;
import dev.attest.reports.AtomicFiles;
import dev.attest.reports.UsageException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads and writes report.json (Jackson 3); refuses malformed or incomplete files and other schema versions with one
 * line that names the file and the field.
 */
public final class ReportJson {
    public static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private ReportJson() {
    }

    public static String toJson(Report report) {
        return MAPPER.writeValueAsString(report) + "\n";
    }

    /** Writes {@code report} atomically (temporary file, then move). */
    public static void write(Path file, Report report) {
        AtomicFiles.write(file, toJson(report));
    }

    public static Report read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new UsageException(file + ": no such file");
        } catch (IOException e) {
            throw new UsageException(file + ": cannot read (" + e.getMessage() + ")");
        }
        return parse(file.toString(), text);
    }

    /**
     * The fields every report.json holds (docs/report-schema.md): all top-level fields but {@code faultDetection},
     * and what identifies and judges each entry. Writers always write them, so a file without one is cut short or
     * hand-made; binding it as it is would default the field to empty or zero, and {@code compare} or {@code merge}
     * would take an incomplete report for a complete one ({@code {"schemaVersion": 1}} for one with no failures).
     */
    private static void requireFields(JsonFields f, JsonNode tree) {
        JsonNode env = f.object(tree, "environment", "environment");
        f.strings(env, "environment", "machine", "os", "arch", "jvm", "jvmVersion", "attestVersion");
        f.numbers(env, "environment", "cores", "maxHeapMiB");
        JsonNode run = f.object(tree, "run", "run");
        f.string(run, "command", "run.command");
        f.numbers(run, "run", "seed", "tries");
        f.array(run, "requested", "run.requested");
        for (String nullable : List.of("profile", "shard", "bench")) f.present(run, nullable, "run." + nullable);
        f.each(tree, "backends", (b, at) -> {
            f.string(b, "name", at + ".name");
            f.bool(b, "available", at + ".available");
        });
        f.each(tree, "configs", (c, at) -> f.string(c, "name", at + ".name"));
        f.each(tree, "conformance", (c, at) -> f.strings(c, at, "backend", "property", "status"));
        f.each(tree, "accuracy", (a, at) -> {
            f.strings(a, at, "backend", "config");
            f.number(a, "errorOverAllowance", at + ".errorOverAllowance");
            f.bool(a, "withinAllowance", at + ".withinAllowance");
        });
        f.each(tree, "latency", (l, at) -> {
            f.strings(l, at, "backend", "config");
            f.number(f.object(l, "metric", at + ".metric"), "score", at + ".metric.score");
        });
        if (!f.present(tree, "calibration", "calibration").isNull()) {
            f.number(f.object(tree, "calibration", "calibration"), "score", "calibration.score");
        }
        f.each(tree, "kvCache", (p, at) -> {
            f.string(p, "backend", at + ".backend");
            f.numbers(p, at, "length", "decodeMillis", "recomputeMillis");
        });
        f.each(tree, "linearAttention", (p, at) -> {
            f.strings(p, at, "backend", "variant");
            f.numbers(p, at, "length", "features", "error");
        });
    }

    public static Report parse(String name, String text) {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(text);
        } catch (JacksonException e) {
            throw new UsageException(name + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (tree == null || !tree.isObject()) throw new UsageException(name + ": not an Attest report (expected a JSON object)");
        JsonNode version = tree.get("schemaVersion");
        if (version == null || !version.isIntegralNumber()) {
            throw new UsageException(name + ": not an Attest report (no integer schemaVersion)");
        }
        if (version.asInt() != Report.SCHEMA_VERSION) {
            throw new UsageException(name + ": report schema version " + version.asInt() + " is "
                    + (version.asInt() < Report.SCHEMA_VERSION ? "older" : "newer") + " than this Attest's "
                    + Report.SCHEMA_VERSION + "; rerun `attest report` with this version (see docs/report-schema.md)");
        }
        try {
            requireFields(new JsonFields(name), tree);
            JsonNode faults = tree.get("faultDetection");
            if (faults != null && !faults.isNull()) KillMatrixFiles.parse(name + ": faultDetection", faults.toString());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        try {
            return MAPPER.treeToValue(tree, Report.class);
        } catch (JacksonException e) {
            throw new UsageException(name + ": malformed Attest report (" + e.getOriginalMessage() + ")");
        }
    }
}
