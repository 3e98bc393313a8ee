package dev.attest.reports.timing;

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
 * untimed call on the same input. Before each sample the output is poisoned with NaN, so a backend that is fast
 * because it skips work (returns early on a repeated call, computes part of the output) leaves NaN or stale values
 * there and is caught; the timed calls alternate between two inputs, so a stale output is the wrong one.
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
}
