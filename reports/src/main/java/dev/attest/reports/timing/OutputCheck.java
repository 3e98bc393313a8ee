package dev.attest.reports.timing;

import dev.attest.reference.ElementType;
import dev.attest.reference.Tensor;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The benchmark-integrity check: the output a timed call left behind must be bit-identical to the output of an
 * untimed call on the same input made with the same, warmed-up code. Before each sample the output is poisoned with
 * NaN, so a backend that is fast because it skips work (returns early on a repeated call, computes part of the
 * output) leaves NaN or stale values there and is caught; the timed calls alternate between two inputs, so a stale
 * output is the wrong one.
 *
 * <p>The warm reference is itself checked against the first, cold call on the same input (the output the run
 * judged), but not bit for bit: a Vector API kernel's lane reductions may be ordered differently once C2 has compiled
 * them, which moves an fp32 result by an ulp or two. It must agree within {@value #DRIFT_ROUNDOFFS} unit roundoffs
 * of the output type (relative RMS): a backend that computes something else once warm is caught, JIT rounding is not.
 */
public final class OutputCheck {
    private OutputCheck() {
    }

    /** The stored bits of {@code out}, as the reference a later check compares against. */
    public static int[] snapshot(Tensor out) {
        return out.toBitsArray();
    }

    /** Fills {@code out} with NaN (in its own type) so that nothing a previous call wrote survives. */
    public static void poison(Tensor out) {
        out.fill(Float.NaN);
    }

    /** Null when {@code out} holds exactly {@code expected}'s bits, else one line saying where and how it differs. */
    public static String mismatch(Tensor out, int[] expected, String what) {
        int[] got = out.toBitsArray();
        if (Arrays.equals(got, expected)) return null;
        if (got.length != expected.length) {
            return what + ": " + got.length + " elements where the untimed call wrote " + expected.length;
        }
        int differ = 0, first = -1;
        for (int i = 0; i < got.length; i++) {
            if (got[i] != expected[i]) {
                differ++;
                if (first < 0) first = i;
            }
        }
        return String.format(Locale.ROOT, "%s: after timing, %d of %d output elements differ from the untimed call on"
                + " the same input (first at flat index %d: bits 0x%x, expected 0x%x); the timed calls did not"
                + " compute what was checked", what, differ, got.length, first, got[first], expected[first]);
    }

    /** Writes a snapshot for another JVM (a JMH fork) to check against. */
    public static void write(Path file, int[] bits) {
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeInt(bits.length);
            for (int b : bits) out.writeInt(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int[] read(Path file) {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            int[] bits = new int[in.readInt()];
            for (int i = 0; i < bits.length; i++) bits[i] = in.readInt();
            return bits;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How far, in unit roundoffs of the output type, the warm reference may drift from the cold output. */
    public static final int DRIFT_ROUNDOFFS = 16;

    /** Null when the warm bits agree with the cold ones within the drift bound, else one line saying by how much. */
    public static String drift(ElementType type, int[] cold, int[] warm, String what) {
        if (Arrays.equals(cold, warm)) return null;
        if (cold.length != warm.length) return what + ": the warm output has " + warm.length + " elements, the cold "
                + cold.length;
        double diff = 0, norm = 0;
        int unwritten = 0;
        for (int i = 0; i < cold.length; i++) {
            double c = type.decode(cold[i]), w = type.decode(warm[i]);
            if (Double.isNaN(w) && !Double.isNaN(c)) unwritten++;
            diff += (w - c) * (w - c);
            norm += c * c;
        }
        if (unwritten > 0) {
            return String.format(Locale.ROOT, "%s: once warmed up, the backend left %d of %d output elements as the"
                    + " NaN they were poisoned with: it skips work", what, unwritten, cold.length);
        }
        double relative = Math.sqrt(diff / Math.max(norm, Double.MIN_NORMAL));
        if (relative <= DRIFT_ROUNDOFFS * type.unitRoundoff()) return null;
        return String.format(Locale.ROOT, "%s: once warmed up, the backend's output differs from its first call on the"
                + " same input by a relative RMS of %.3g (more than %d unit roundoffs of %s): it computes something"
                + " else when timed", what, relative, DRIFT_ROUNDOFFS, type.token());
    }
}
