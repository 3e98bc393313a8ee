package dev.attest.reports;

import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.node.ObjectNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
    void anInfiniteAccuracyErrorSurvivesARoundTripAndRenders() throws Exception {
        Report base = Fixtures.report(0.001, 0.5, Status.PASS, 0.5);
        java.util.List<dev.attest.reports.model.AccuracyResult> accuracy = new java.util.ArrayList<>(base.accuracy());
        var first = accuracy.getFirst();
        double inf = Double.POSITIVE_INFINITY;
        accuracy.set(0, new dev.attest.reports.model.AccuracyResult(first.backend(), first.config(), first.types(), inf,
                inf, inf, first.baselineError(), first.allowance(), inf, false));
        Report report = new Report(base.schemaVersion(), base.environment(), base.run(), base.backends(),
                base.configs(), base.conformance(), accuracy, base.latency(), base.calibration(), base.kvCache(),
                base.linearAttention()).canonical();
        Path file = dir.resolve("report.json");
        ReportJson.write(file, report);
        Report back = ReportJson.read(file);
        assertEquals(report, back, "a NaN-writing backend's infinite error is kept, not turned into 0 or null");
        String html = dev.attest.reports.html.HtmlReport.render(back);
        assertTrue(html.contains("<td>inf</td>") || html.contains(">inf<"), "the table shows it as inf");
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
        ObjectNode wrong = valid();
        wrong.put("conformance", 3);
        var wrongType = assertThrows(UsageException.class, () -> ReportJson.parse("w.json", wrong.toString()));
        assertEquals("w.json: field conformance is 3, expected an array", wrongType.getMessage());
        ObjectNode badStatus = valid();
        ((ObjectNode) badStatus.get("conformance").get(0)).put("status", "GREEN");
        var malformedField = assertThrows(UsageException.class, () -> ReportJson.parse("s.json", badStatus.toString()));
        assertTrue(malformedField.getMessage().startsWith("s.json: malformed Attest report"), malformedField.getMessage());
        ObjectNode emptyFaults = valid();
        emptyFaults.putObject("faultDetection");
        var faults = assertThrows(UsageException.class, () -> ReportJson.parse("f.json", emptyFaults.toString()));
        assertTrue(faults.getMessage().startsWith("f.json: faultDetection: field format is missing"), faults.getMessage());
    }

    /**
     * A field that every writer writes is required: without it the binder would default it to empty, and a cut or
     * hand-made file (a bare {@code {"schemaVersion": 1}}) would read as a complete report with nothing wrong in it.
     */
    @Test
    void aReportWithoutARequiredFieldIsRefusedNamingTheFileAndTheField() {
        var bare = assertThrows(UsageException.class, () -> ReportJson.parse("b.json", "{\"schemaVersion\": 1}"));
        assertEquals("b.json: field environment is missing", bare.getMessage());
        for (String field : List.of("environment", "run", "backends", "configs", "conformance", "accuracy", "latency",
                "calibration", "kvCache", "linearAttention")) {
            ObjectNode tree = valid();
            tree.remove(field);
            var e = assertThrows(UsageException.class, () -> ReportJson.parse("r.json", tree.toString()), field);
            assertEquals("r.json: field " + field + " is missing", e.getMessage());
        }
        for (String[] nested : List.of(new String[]{"run", "seed"}, new String[]{"run", "shard"},
                new String[]{"environment", "attestVersion"})) {
            ObjectNode tree = valid();
            ((ObjectNode) tree.get(nested[0])).remove(nested[1]);
            var e = assertThrows(UsageException.class, () -> ReportJson.parse("r.json", tree.toString()));
            assertEquals("r.json: field " + nested[0] + "." + nested[1] + " is missing", e.getMessage());
        }
        ObjectNode cell = valid();
        ((ObjectNode) cell.get("conformance").get(2)).remove("status");
        assertEquals("r.json: field conformance[2].status is missing",
                assertThrows(UsageException.class, () -> ReportJson.parse("r.json", cell.toString())).getMessage());
        ObjectNode score = valid();
        ((ObjectNode) score.get("latency").get(0).get("metric")).putNull("score");
        assertEquals("r.json: field latency[0].metric.score is missing",
                assertThrows(UsageException.class, () -> ReportJson.parse("r.json", score.toString())).getMessage());
        ObjectNode noCalibration = valid();
        noCalibration.putNull("calibration");
        assertNull(ReportJson.parse("r.json", noCalibration.toString()).calibration(), "null is no calibration run");
    }

    private static ObjectNode valid() {
        return (ObjectNode) ReportJson.MAPPER.readTree(ReportJson.toJson(Fixtures.report(0.001, 0.5, Status.PASS, 0.5)));
    }
}
