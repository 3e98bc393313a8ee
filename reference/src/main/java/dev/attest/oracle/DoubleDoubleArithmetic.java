package dev.attest.oracle;

import java.math.BigDecimal;
import java.util.List;

import org.apache.commons.numbers.core.DD;

/**
 * Double-double (about 106 bits) on Commons Numbers {@link DD}: the oracle's arithmetic. {@code DD} has the field
 * operations and {@code sqrt}; the transcendental functions are written here:
 *
 * <ul>
 *   <li>{@link #exp}: {@code x = k ln2 + r}, {@code |r| <= ln2/2}; {@code expm1(r / 2^8)} by Taylor in DD, then eight
 *       squarings in the expm1 form {@code e <- e(e + 2)} (no loss near 1), then {@code * 2^k}. Relative error about
 *       {@code 2^-100}, so {@code toDouble(exp(x))} is the correctly rounded {@code exp} except on inputs within
 *       {@code 2^-100} of a rounding boundary (none known outside the published hardest cases). Results below the
 *       normal range are rounded once, directly onto the subnormal grid (and results under {@code 2^-968}, whose low part
 *       would be subnormal, are the correctly rounded double); below half the smallest subnormal they are
 *       zero, never NaN.</li>
 *   <li>{@link #tanh}: {@code expm1(2|x|) / (expm1(2|x|) + 2)}, which has no cancellation for small {@code |x|}.</li>
 *   <li>{@link #sin}, {@link #cos}: reduction by a DD {@code pi/2}, then Taylor in DD. The reduction error is about
 *       {@code |x| * 2^-106}, so the absolute error stays below {@code 2^-90} for {@code |x| < 2^14} (rotary
 *       positions times inverse frequencies).</li>
 *   <li>{@link #log}: one Newton step on {@code exp} from {@link Math#log}; {@link #pow} is {@code exp(y log x)}.</li>
 * </ul>
 *
 * Sums and dot products accumulate in DD (each step's relative error about {@code 2^-105}).
 */
public final class DoubleDoubleArithmetic implements Arithmetic<DD> {
    public static final DoubleDoubleArithmetic INSTANCE = new DoubleDoubleArithmetic();

    private static final DD LN2 = DD.from(new BigDecimal(
            "0.69314718055994530941723212145817656807550013436025525412068000949339362196969471560586332699641869"));
    private static final DD HALF_PI = DD.from(new BigDecimal(
            "1.57079632679489661923132169163975144209858469968755291048747229615390820314310449931401741267105853"));
    private static final double INV_LN2 = 1.4426950408889634;
    /** Squarings after Taylor; the Taylor argument is {@code r / 2^SQUARINGS}, at most 1.4e-3 in magnitude. */
    private static final int SQUARINGS = 8;
    private static final int TAYLOR_TERMS = 12;

    private DoubleDoubleArithmetic() {
    }

    @Override public DD of(double x) { return DD.of(x); }
    @Override public double toDouble(DD x) { return x.doubleValue(); }
    @Override public boolean isFinite(DD x) { return x.isFinite(); }
    @Override public DD add(DD a, DD b) { return a.add(b); }
    @Override public DD subtract(DD a, DD b) { return a.subtract(b); }
    @Override public DD multiply(DD a, DD b) { return a.multiply(b); }
    @Override public DD divide(DD a, DD b) { return a.divide(b); }
    @Override public DD sqrt(DD x) { return x.sqrt(); }

    @Override
    public int compare(DD a, DD b) {
        int c = Double.compare(a.hi(), b.hi());
        return c != 0 ? c : Double.compare(a.lo(), b.lo());
    }

    @Override
    public DD sum(List<DD> terms) {
        DD s = DD.ZERO;
        for (DD t : terms) s = s.add(t);
        return s;
    }

    @Override
    public DD dot(List<DD> a, List<DD> b) {
        DD s = DD.ZERO;
        for (int i = 0; i < a.size(); i++) {
            DD x = a.get(i), y = b.get(i);
            // exact two-product when both are plain doubles (inputs read from fp32 tensors)
            s = s.add(x.lo() == 0 && y.lo() == 0 ? DD.ofProduct(x.hi(), y.hi()) : x.multiply(y));
        }
        return s;
    }

    // ---- exp ------------------------------------------------------------------------------------------------

    /** {@code e^r - 1} for {@code |r| <= 0.35}, to full relative precision. */
    static DD expm1Reduced(DD r) {
        DD t = r.scalb(-SQUARINGS);
        // Horner: expm1(t) = t (1 + t/2 (1 + t/3 (1 + ... (1 + t/N))))
        DD acc = DD.ONE;
        for (int n = TAYLOR_TERMS; n >= 2; n--) acc = DD.ONE.add(t.multiply(acc).divide(n));
        DD e = t.multiply(acc);
        // (1 + e)^2 - 1 = e (e + 2): squaring without forming 1 + e
        for (int i = 0; i < SQUARINGS; i++) e = e.multiply(e.add(2.0));
        return e;
    }

    /** {@code e^x - 1} to full relative precision (used by {@link #tanh}). */
    public DD expm1(DD x) {
        if (Math.abs(x.hi()) <= 0.34) return expm1Reduced(x);
        return exp(x).subtract(1.0);
    }

    @Override
    public DD exp(DD x) {
        double hi = x.hi();
        if (hi > 709.8) return DD.of(Double.POSITIVE_INFINITY);
        if (hi < -746) return DD.ZERO;
        int k = (int) Math.rint(hi * INV_LN2);
        DD r = x.subtract(LN2.multiply(k));
        DD m = expm1Reduced(r).add(1.0);
        if (k <= -1022) return subnormal(m, k);
        // a low part below 2^-1022 would itself be rounded: give the correctly rounded double instead
        if (k < -1022 + 54) return DD.of(Math.scalb(m.doubleValue(), k));
        return m.scalb(k);
    }

    /**
     * {@code m * 2^k} rounded once onto the double grid when the result may be below the normal range (where a DD
     * has no low part left): with {@code e = k + 1074}, round {@code m * 2^e} to an integer {@code n} (ties to even)
     * and return {@code n * 2^-1074}.
     */
    private static DD subnormal(DD m, int k) {
        int e = k + 1074;
        if (e < -2) return DD.ZERO; // m < 1.5, so m * 2^k < 2^-1075 * 0.75: rounds to zero
        double x = Math.scalb(m.hi(), e);          // exact: scaling by a power of two in the normal range
        double y = Math.scalb(m.lo(), e);          // may lose bits far below x's last bit; only matters at exact ties
        double n = Math.floor(x);
        DD frac = DD.ofSum(x - n, y);              // x - n is exact
        int c = compareHalf(frac);
        if (frac.hi() < 0) {                       // y pulled x below the integer n
            n -= 1;
            frac = frac.add(1.0);
            c = compareHalf(frac);
        }
        if (c > 0 || (c == 0 && (n % 2 != 0))) n += 1;
        return DD.of(Math.scalb(n, -1074));
    }

    private static int compareHalf(DD f) {
        int c = Double.compare(f.hi(), 0.5);
        return c != 0 ? c : Double.compare(f.lo(), 0.0);
    }

    // ---- tanh, log, pow ----------------------------------------------------------------------------------------

    @Override
    public DD tanh(DD x) {
        boolean negative = x.hi() < 0;
        DD a = x.abs();
        if (a.hi() == 0) return DD.ZERO;
        DD t;
        if (a.hi() > 40) {
            t = DD.ONE; // 1 - tanh(40) < 4e-35: below DD resolution at 1
        } else {
            DD em = expm1(a.scalb(1));
            t = em.divide(em.add(2.0));
        }
        return negative ? t.negate() : t;
    }

    @Override
    public DD log(DD x) {
        double y0 = Math.log(x.doubleValue());
        // Newton on f(y) = e^y - x: y1 = y0 + x e^-y0 - 1, error about (y0 - ln x)^2 / 2
        return DD.of(y0).add(x.multiply(exp(DD.of(-y0))).subtract(1.0));
    }

    @Override
    public DD pow(DD x, DD y) {
        return exp(y.multiply(log(x)));
    }

    // ---- sin, cos ----------------------------------------------------------------------------------------------

    @Override
    public DD sin(DD x) {
        double n = Math.rint(x.hi() / HALF_PI.hi());
        DD r = x.subtract(HALF_PI.multiply(n));
        return switch ((int) Math.floorMod((long) n, 4L)) {
            case 0 -> sinTaylor(r);
            case 1 -> cosTaylor(r);
            case 2 -> sinTaylor(r).negate();
            default -> cosTaylor(r).negate();
        };
    }

    @Override
    public DD cos(DD x) {
        double n = Math.rint(x.hi() / HALF_PI.hi());
        DD r = x.subtract(HALF_PI.multiply(n));
        return switch ((int) Math.floorMod((long) n, 4L)) {
            case 0 -> cosTaylor(r);
            case 1 -> sinTaylor(r).negate();
            case 2 -> cosTaylor(r).negate();
            default -> sinTaylor(r);
        };
    }

    /** Taylor series of sin for {@code |r| <= pi/4 + tiny}. */
    private static DD sinTaylor(DD r) {
        DD r2 = r.square().negate();
        DD term = r, sum = r;
        for (int k = 1; k <= 30 && Math.abs(term.hi()) > 1e-36; k++) {
            term = term.multiply(r2).divide((2.0 * k) * (2.0 * k + 1));
            sum = sum.add(term);
        }
        return sum;
    }

    private static DD cosTaylor(DD r) {
        DD r2 = r.square().negate();
        DD term = DD.ONE, sum = DD.ONE;
        for (int k = 1; k <= 30 && Math.abs(term.hi()) > 1e-36; k++) {
            term = term.multiply(r2).divide((2.0 * k - 1) * (2.0 * k));
            sum = sum.add(term);
        }
        return sum;
    }
}
