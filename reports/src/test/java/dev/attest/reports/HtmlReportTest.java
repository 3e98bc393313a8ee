package dev.attest.reports;

import dev.attest.reports.html.Analysis;
import dev.attest.reports.html.HtmlReport;
import dev.attest.reports.model.Report;
import dev.attest.reports.model.ReportJson;
import dev.attest.reports.model.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HtmlReportTest {
    @TempDir
    Path dir;

    @Test
    void theSameReportJsonRendersToTheSameBytes() {
        Report report = Fixtures.report(0.001, 0.5, Status.PASS, 0.5);
        ReportJson.write(dir.resolve("report.json"), report);
        String first = HtmlReport.render(ReportJson.read(dir.resolve("report.json")));
        String second = HtmlReport.render(ReportJson.read(dir.resolve("report.json")));
        assertEquals(first, second);
    }

    @Test
    void thePageIsSelfContainedWithEverySection() {
        String html = HtmlReport.render(Fixtures.report(0.001, 0.5, Status.FAIL, 0.5));
        assertFalse(html.contains("<script"), "no JavaScript");
        assertFalse(html.contains("http://") && html.replace("http://www.w3.org", "").replace("http://www.jfree.org", "")
                .contains("http://"), "no network reference");
        assertEquals(2, html.split("<svg ", -1).length - 1, "accuracy-vs-latency and scaling figures");
        assertTrue(html.contains("id='fig-accuracy'") && html.contains("id='fig-scaling'"));
        assertTrue(html.contains("Pareto frontier"));
        assertTrue(html.contains("KV-cache decode against recomputation: not available in this run."));
        assertTrue(html.contains("Linear attention error against m with the Performer theory curve: not available in this run."));
        assertTrue(html.contains("FAIL cpu-batched"));
        assertTrue(html.contains("<td class=\"fail\">fail</td>"));
        assertTrue(html.contains("test-machine") && html.contains("Test VM"));
        assertFalse(html.contains("Conforms:"));
    }

    @Test
    void aBackendThatFailsConformanceIsNotOnTheAccuracyLatencyChart() {
        String html = HtmlReport.render(Fixtures.report(0.001, 0.5, Status.FAIL, 0.5));
        String figure = html.substring(html.indexOf("id='fig-accuracy'"), html.indexOf("</svg>", html.indexOf("id='fig-accuracy'")));
        assertFalse(figure.contains(">cpu-batched<"), "the failing backend has no point");
        assertTrue(figure.contains(">cpu-naive<"));
    }

    @Test
    void paretoFrontierKeepsOnlyUnbeatenPoints() {
        var frontier = Analysis.paretoFrontier(List.of(new Analysis.Point("a", 1, 5), new Analysis.Point("b", 2, 3),
                new Analysis.Point("c", 3, 4), new Analysis.Point("d", 4, 1)));
        assertEquals(List.of("a", "b", "d"), frontier.stream().map(Analysis.Point::label).toList());
    }

    @Test
    void theLogLogFitRecoversTheExponent() {
        double e = Analysis.exponent(List.of(new double[]{64, 3 * Math.pow(64, 2)}, new double[]{128, 3 * Math.pow(128, 2)},
                new double[]{256, 3 * Math.pow(256, 2)}));
        assertEquals(2.0, e, 1e-9);
        assertTrue(Double.isNaN(Analysis.exponent(List.of(new double[]{1, 1}))));
    }

    @Test
    void writingTheReportLeavesNoPartialFiles() throws Exception {
        ReportCommand.write(Fixtures.report(0.001, 0.5, Status.PASS, 0.5), dir);
        try (var files = Files.list(dir)) {
            assertEquals(List.of("report.html", "report.json"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
