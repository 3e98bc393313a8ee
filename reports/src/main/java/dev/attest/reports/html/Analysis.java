package dev.attest.reports.html;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The small numerics of the report: the Pareto frontier and the log-log fit. */
public final class Analysis {
    private Analysis() {
    }

    /** A point to minimise in both coordinates, with a label. */
    public record Point(String label, double x, double y) {
    }

    /** The points no other point beats in both x and y (lower is better), ordered by x. */
    public static List<Point> paretoFrontier(List<Point> points) {
        List<Point> sorted = new ArrayList<>(points);
        sorted.sort(Comparator.comparingDouble(Point::x).thenComparingDouble(Point::y).thenComparing(Point::label));
        List<Point> frontier = new ArrayList<>();
        double best = Double.POSITIVE_INFINITY;
        for (Point p : sorted) {
            if (p.y() < best) {
                frontier.add(p);
                best = p.y();
            }
        }
        return frontier;
    }

    /** Least-squares slope of log y against log x: the exponent of y ~ c·x^e; NaN with fewer than two points. */
    public static double exponent(List<double[]> points) {
        int n = 0;
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (double[] p : points) {
            if (p[0] <= 0 || p[1] <= 0) continue;
            double x = Math.log(p[0]), y = Math.log(p[1]);
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
            n++;
        }
        double d = n * sxx - sx * sx;
        return n < 2 || d == 0 ? Double.NaN : (n * sxy - sx * sy) / d;
    }
}
