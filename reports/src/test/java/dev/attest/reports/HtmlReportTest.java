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
        assertTrue(html.contains("cpu-naive decode fit, slope 1.00") && html.contains("cpu-naive recompute fit, slope 2.00"),
                "fitted slopes in the legend");
        assertTrue(html.contains("<td>1.00 ± 0.00, R² 1.000 (4 of 4 points)</td>"), "a fit with its interval and R²");
        assertTrue(html.contains("<td>cpu-naive</td><td>512</td><td>0.0512 ms [0.0508, 0.0516]</td>"
                + "<td>0.5243 ms [0.5202, 0.5284]</td><td>10.2×</td><td>ok</td>"), "the table carries intervals and the ratio");
        assertTrue(html.contains("Performer theory (Lemma 2, i.i.d.) kernel rel. MSE"));
        assertTrue(html.contains("<td>linear-parallel</td><td>favor+ orthogonal</td><td>64</td><td>256</td>"));
        String accuracy = html.substring(html.indexOf("id='fig-accuracy'"), html.indexOf("</svg>",
                html.indexOf("id='fig-accuracy'")));
        assertTrue(accuracy.contains("linear attention: linear-parallel, favor+ orthogonal, S=64, curve over m"),
                "linear attention is a curve on the accuracy-against-latency chart");
    }

    @Test
    void theFaultDetectionSectionShowsTheMatrixWithSurvivorsAndTheHardestMarked() {
        String none = HtmlReport.render(Fixtures.report(0.001, 0.5, Status.PASS, 0.5));
        assertTrue(none.contains("<h2 id=\"fault-detection\">Fault detection</h2>"));
        assertTrue(none.contains("Fault detection (the kill matrix of the planted-bug catalog): not run in this run"));

        var faults = Fixtures.faults(9);
        Report report = Fixtures.withFaults(Fixtures.report(0.001, 0.5, Status.PASS, 0.5), faults);
        String html = HtmlReport.render(report);
        assertEquals(html, HtmlReport.render(ReportJson.parse("r.json", ReportJson.toJson(report))), "a function of the JSON");
        assertFalse(html.contains("not run in this run"));
        String sentence = faults.summary().killed() + " of " + faults.summary().mutants() + " planted bugs killed in "
                + Math.round(faults.seconds()) + " s (seed " + faults.seed() + ", " + faults.tries() + " tries per property).";
        assertTrue(html.contains("<p class=\"verdict ok\">Fault detection: " + sentence + "</p>"), sentence);
        // cache-stale's first kill needs the most cases (9): it is the hardest, named and highlighted
        assertTrue(html.contains("Hardest to find: cache-stale, first failure at case 9 (S9 any split into chunks)"), html);
        assertTrue(html.contains("<tr class=\"hardest\"><td>cache-stale <span class=\"tag\">hardest</span>"));
        assertTrue(html.contains("<td class=\"killers\">2: S1 shapes with all dimensions, S7 agrees with the oracle</td>"
                + "<td>2 (S7 agrees with the oracle)</td><td>4</td>"), "killers, fewest cases and shrunk size of scale-missing");
        assertTrue(html.contains("<td class=\"killers\"><details><summary>4: S1 ×2, S2, S7</summary>S1 gqa equals mha with,"
                + " S1 shapes with all dimensions, S2 scale s equals queries, S7 agrees with the oracle</details></td>"),
                "past three killers, a count by clause with the names folded away");
        assertTrue(html.contains("<a href=\"https://github.com/mlc-ai/mlc-llm/pull/3426\">github.com/mlc-ai/mlc-llm/pull/3426</a>"
                + " (missing 1/sqrt(d) scaling); not located elsewhere</small>"), "a URL reference is a link, text stays text");
        assertTrue(html.contains("<h3>Kill matrix, softmax kit</h3>") && html.contains("<h3>Kill matrix, linear kit</h3>"));
        assertTrue(html.contains("<th class=\"v\" title=\"" + Fixtures.S9 + "\">S9 any split into chunks</th>"));
        assertTrue(html.contains("<td class=\"k\" title=\"scale-missing / " + Fixtures.S7 + ": killed at case 2\">●</td>"));
        assertTrue(html.contains("<td class=\"na\" title=\"scale-missing / " + Fixtures.S9 + ": not-applicable\">–</td>"));
        assertFalse(html.contains("class=\"survived\""), "nothing survived");
        assertTrue(html.indexOf("title=\"" + Fixtures.L1 + "\">L1 ") < html.indexOf("title=\"" + Fixtures.L3 + "\">L3 "),
                "grid columns in clause order, optional_ or not");

        String survivor = HtmlReport.render(Fixtures.withFaults(Fixtures.report(0.001, 0.5, Status.PASS, 0.5), Fixtures.faults(0)));
        assertTrue(survivor.contains("<p class=\"verdict bad\">Fault detection: 3 of 4 planted bugs killed"), survivor);
        assertTrue(survivor.contains("1 survived every property: cache-stale. The suite has lost its teeth for this bug."));
        assertTrue(survivor.contains("<tr class=\"survived\"><td>cache-stale<br>"));
        assertTrue(survivor.contains("<td class=\"killers\">SURVIVED</td>"));
        assertTrue(survivor.contains("<th class=\"row survived\">cache-stale</th>"));
        assertTrue(survivor.contains("Hardest to find: scale-missing, first failure at case 2"), "the hardest of the killed");
        assertFalse(survivor.contains("<script"));
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
