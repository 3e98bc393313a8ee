package dev.attest.reports.golden;

import dev.attest.reference.Mask;

/**
 * Parts of a mask broadcast NumPy-style to (B, Hq, Sq, S): some of its query rows, or its key columns cut or
 * padded to a length. An axis of size 1 (or one the mask lacks) broadcasts and is left as it is.
 */
final class MaskSlices {
    private MaskSlices() {
    }

    /** Query rows [from, from + n) of {@code mask}. */
    static Mask rows(Mask mask, int from, int n) {
        int[] shape = mask.shape();
        if (shape.length < 2 || shape[shape.length - 2] == 1) return mask;
        int rows = shape[shape.length - 2], columns = shape[shape.length - 1], outer = 1;
        for (int a = 0; a < shape.length - 2; a++) outer *= shape[a];
        int[] sliced = shape.clone();
        sliced[shape.length - 2] = n;
        return copy(mask, sliced, (o, r, col) -> (o * rows + from + r) * columns + col, outer, n, n * columns);
    }

    /**
     * The mask over {@code keys} key columns: columns past its last are masked (false, or -inf), columns past
     * {@code keys} dropped.
     */
    static Mask columns(Mask mask, int keys) {
        int[] shape = mask.shape();
        int columns = shape[shape.length - 1];
        if (columns == 1 || columns == keys) return mask;
        int lines = 1;
        for (int a = 0; a < shape.length - 1; a++) lines *= shape[a];
        int[] wide = shape.clone();
        wide[shape.length - 1] = keys;
        return copy(mask, wide, (line, unused, col) -> col < columns ? line * columns + col : -1, lines, 1, keys);
    }

    /** Source index of (outer, row, column), or -1 for a masked element that has none. */
    private interface Source {
        int at(int outer, int row, int column);
    }

    private static Mask copy(Mask mask, int[] shape, Source source, int outer, int rows, int perOuter) {
        int columns = shape[shape.length - 1], size = outer * perOuter;
        if (mask instanceof Mask.Keep keep) {
            boolean[] out = new boolean[size];
            for (int o = 0; o < outer; o++)
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < columns; c++) {
                        int at = source.at(o, r, c);
                        out[(o * rows + r) * columns + c] = at >= 0 && keep.keep()[at];
                    }
            return new Mask.Keep(out, shape);
        }
        float[] bias = ((Mask.Bias) mask).bias(), out = new float[size];
        for (int o = 0; o < outer; o++)
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++) {
                    int at = source.at(o, r, c);
                    out[(o * rows + r) * columns + c] = at >= 0 ? bias[at] : Float.NEGATIVE_INFINITY;
                }
        return new Mask.Bias(out, shape);
    }
}
