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
    void kvCacheAndLinearAttentionSectionsRenderWhenTheRunHasThemAndStayByteIdentical() {
        Report report = Fixtures.withKvAndLinear(Fixtures.report(0.001, 0.5, Status.PASS, 0.5));
        ReportJson.write(dir.resolve("report.json"), report);
        String html = HtmlReport.render(ReportJson.read(dir.resolve("report.json")));
        assertEquals(html, HtmlReport.render(ReportJson.read(dir.resolve("report.json"))), "same bytes");
        assertEquals(html, HtmlReport.render(report), "report.html is a function of report.json");
        assertEquals(4, html.split("<svg ", -1).length - 1, "accuracy, scaling, kv-cache and linear figures");
        assertTrue(html.contains("id='fig-kv'") && html.contains("id='fig-linear'"));
        assertFalse(html.contains("not available in this run"), "no placeholder when the data is there");
        assertFalse(html.contains("<script"));
        // the synthetic series are exactly linear and quadratic in L: the fitted slopes say so
        assertTrue(html.contains("cpu-naive decode (slope 1.00)") && html.contains("cpu-naive recompute (slope 2.00)"),
                "fitted slopes in the legend");
        assertTrue(html.contains("<td>cpu-naive</td><td>512</td><td>0.0512 ms</td><td>0.5243 ms</td><td>10.2×</td>"),
                "the table carries the ratio");
        assertTrue(html.contains("Performer theory (Lemma 2, i.i.d.) kernel rel. MSE"));
        assertTrue(html.contains("<td>linear-parallel</td><td>favor+ orthogonal</td><td>64</td><td>256</td>"));
        String accuracy = html.substring(html.indexOf("id='fig-accuracy'"), html.indexOf("</svg>",
                html.indexOf("id='fig-accuracy'")));
        assertTrue(accuracy.contains("linear attention: linear-parallel, favor+ orthogonal, S=64, curve over m"),
                "linear attention is a curve on the accuracy-against-latency chart");
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
