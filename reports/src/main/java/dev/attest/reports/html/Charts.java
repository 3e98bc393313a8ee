package dev.attest.reports.html;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Rectangle2D;
import java.util.List;

/**
 * Figures drawn by JFreeChart through JFreeSVG as inline SVG. Each figure has its own defs-key prefix, so ids are
 * unique within the page and the same data gives the same bytes.
 */
public final class Charts {
    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};
    static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    private Charts() {
    }

    /**
     * A series: name, points, whether drawn as a line, as shapes, or both. A point is {x, y}, or
     * {x, y, xLow, xHigh, yLow, yHigh} with its intervals, drawn as error bars.
     */
    public record Series(String name, List<double[]> points, boolean lines, boolean shapes, Color color) {
    }

    /** {x, y} with x's interval: a latency on the x axis. */
    public static double[] withXError(double x, double y, double xLow, double xHigh) {
        return new double[]{x, y, xLow, xHigh, y, y};
    }

    /** {x, y} with y's interval: a latency on the y axis. */
    public static double[] withYError(double x, double y, double yLow, double yHigh) {
        return new double[]{x, y, x, x, yLow, yHigh};
    }

    public static String xy(String figureId, String title, String xLabel, boolean logX, String yLabel, boolean logY,
                            List<Series> series, int width, int height) {
        XYIntervalSeriesCollection data = new XYIntervalSeriesCollection();
        XYErrorRenderer renderer = new XYErrorRenderer();
        // no caps and butt-ended bars: a point without an interval (a fitted line's) draws nothing extra
        renderer.setCapLength(0);
        renderer.setErrorStroke(new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER));
        int i = 0;
        for (Series s : series) {
            XYIntervalSeries xs = new XYIntervalSeries(s.name(), false, true);
            for (double[] p : s.points()) {
                if (p.length >= 6) xs.add(p[0], p[2], p[3], p[1], p[4], p[5]);
                else xs.add(p[0], p[0], p[0], p[1], p[1], p[1]);
            }
            data.addSeries(xs);
            renderer.setSeriesLinesVisible(i, s.lines());
            renderer.setSeriesShapesVisible(i, s.shapes());
            renderer.setSeriesPaint(i, s.color() != null ? s.color() : PALETTE[i % PALETTE.length]);
            renderer.setSeriesStroke(i, new BasicStroke(s.lines() && !s.shapes() ? 1.5f : 2f));
            i++;
        }
        XYPlot plot = new XYPlot(data, axis(xLabel, logX), axis(yLabel, logY), renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        JFreeChart chart = new JFreeChart(null, FONT, plot, true);
        chart.setTitle(new TextTitle(title, FONT.deriveFont(Font.BOLD, 14f)));
        chart.setBackgroundPaint(Color.WHITE);
        chart.setAntiAlias(true);
        chart.setTextAntiAlias(true);
        SVGGraphics2D g2 = new SVGGraphics2D(width, height);
        g2.setDefsKeyPrefix(figureId);
        chart.draw(g2, new Rectangle2D.Double(0, 0, width, height));
        return g2.getSVGElement(figureId);
    }

    private static ValueAxis axis(String label, boolean log) {
        if (log) {
            LogAxis axis = new LogAxis(label);
            axis.setBase(10);
            axis.setSmallestValue(1e-12);
            // Plain-text tick labels ("1E-3"): the default superscript labels become glyph outlines in SVG.
            axis.setNumberFormatOverride(new java.text.DecimalFormat("0.0#E0",
                    java.text.DecimalFormatSymbols.getInstance(java.util.Locale.ROOT)));
            axis.setLabelFont(FONT);
            axis.setTickLabelFont(FONT.deriveFont(10f));
            return axis;
        }
        NumberAxis axis = new NumberAxis(label);
        axis.setAutoRangeIncludesZero(false);
        axis.setLabelFont(FONT);
        axis.setTickLabelFont(FONT.deriveFont(10f));
        return axis;
    }
}
