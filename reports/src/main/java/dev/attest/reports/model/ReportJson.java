package dev.attest.reports.model;

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

/** Reads and writes report.json (Jackson 3); refuses malformed files and other schema versions with one line. */
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
        JsonNode faults = tree.get("faultDetection");
        if (faults != null && !faults.isNull()) {
            try {
                dev.attest.faults.KillMatrixFiles.parse(name + ": faultDetection", faults.toString());
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        try {
            return MAPPER.treeToValue(tree, Report.class);
        } catch (JacksonException e) {
            throw new UsageException(name + ": malformed Attest report (" + e.getOriginalMessage() + ")");
        }
    }
}
