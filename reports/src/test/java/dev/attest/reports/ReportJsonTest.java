package dev.attest.reports;

import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportJsonTest {
    @TempDir
    Path dir;

    @Test
    void aReportSurvivesARoundTripAndIsWrittenWithoutLeavingTemporaryFiles() throws Exception {
        Report report = Fixtures.report(0.001, 0.5, Status.PASS, 0.5);
        Path file = dir.resolve("sub/report.json");
        ReportJson.write(file, report);
        assertEquals(report, ReportJson.read(file));
        assertTrue(Files.readString(file).startsWith("{\n  \"schemaVersion\" : 1,"));
        try (var files = Files.list(file.getParent())) {
            assertEquals(1, files.count(), "only report.json, no .part file left");
        }
    }

    @Test
    void kvCacheAndLinearAttentionPointsSurviveARoundTrip() throws Exception {
        Report report = Fixtures.withKvAndLinear(Fixtures.report(0.001, 0.5, Status.PASS, 0.5));
        Path file = dir.resolve("report.json");
        ReportJson.write(file, report);
        Report back = ReportJson.read(file);
        assertEquals(report, back);
        assertEquals(ReportJson.toJson(report), ReportJson.toJson(back));
        String json = Files.readString(file);
        assertTrue(json.contains("\"decodeMillis\"") && json.contains("\"recomputeMillis\"") && json.contains("\"kernelMse\""));
        assertTrue(json.contains("\"theory\" : null"), "no closed form for orthogonal features: null, never NaN");
        assertFalse(json.contains("NaN"));
    }

    @Test
    void theFaultDetectionSectionSurvivesARoundTripAndIsAbsentWhenNotRun() throws Exception {
        Report without = Fixtures.report(0.001, 0.5, Status.PASS, 0.5);
        Report with = Fixtures.withFaults(without, Fixtures.faults(9));
        Path file = dir.resolve("report.json");
        ReportJson.write(file, with);
        Report back = ReportJson.read(file);
        assertEquals(with, back);
        assertEquals(with.faultDetection(), back.faultDetection());
        assertEquals(ReportJson.toJson(with), ReportJson.toJson(back));
        String json = Files.readString(file);
        assertTrue(json.contains("\"faultDetection\" : {\n    \"format\" : \"attest-kill-matrix/1\""), json);
        assertTrue(json.contains("\"outcome\" : \"not-applicable\""), json);
        assertEquals(with.faultDetection(), dev.attest.faults.KillMatrixFiles.parse("section",
                ReportJson.MAPPER.writeValueAsString(ReportJson.MAPPER.readTree(json).get("faultDetection"))),
                "the section is a kill matrix as kill-matrix.json holds it");

        String plain = ReportJson.toJson(without);
        assertFalse(plain.contains("faultDetection"), "absent, not null, when the run did not include it");
        assertNull(ReportJson.parse("old.json", plain).faultDetection(), "a report without the field still reads");
        assertEquals(with.faultDetection(), with.canonical().faultDetection());
    }

    @Test
    void malformedAndOtherSchemaReportsAreRefusedInOneLine() {
        var malformed = assertThrows(UsageException.class, () -> ReportJson.parse("x.json", "{\"schemaVersion\": 1,"));
        assertTrue(malformed.getMessage().startsWith("x.json: not valid JSON"), malformed.getMessage());
        var older = assertThrows(UsageException.class, () -> ReportJson.parse("old.json", "{\"schemaVersion\": 0}"));
        assertTrue(older.getMessage().contains("schema version 0 is older than this Attest's 1"), older.getMessage());
        var none = assertThrows(UsageException.class, () -> ReportJson.parse("a.json", "[1, 2]"));
        assertTrue(none.getMessage().contains("not an Attest report"), none.getMessage());
        var wrongType = assertThrows(UsageException.class,
                () -> ReportJson.parse("w.json", "{\"schemaVersion\": 1, \"conformance\": 3}"));
        assertTrue(wrongType.getMessage().startsWith("w.json: malformed Attest report"), wrongType.getMessage());
        var emptyFaults = assertThrows(UsageException.class,
                () -> ReportJson.parse("f.json", "{\"schemaVersion\": 1, \"faultDetection\": {}}"));
        assertTrue(emptyFaults.getMessage().startsWith("f.json: faultDetection: field format is missing"),
                emptyFaults.getMessage());
    }
}
