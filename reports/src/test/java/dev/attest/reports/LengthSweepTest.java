package dev.attest.reports;

import dev.attest.reports.model.LengthSweepPoint;
import dev.attest.reports.model.MeasurementIssue;
import dev.attest.reports.model.Status;
import dev.attest.spi.Backends;
import dev.attest.spi.LinearAttentionBackend;
import dev.attest.spi.LinearBackends;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LengthSweepTest {
    private static final LengthSweep.Settings TINY = Profile.TINY.lengthSweep();

    /** What a sweep reported. */
    private static final class Collected implements LengthSweep.Sink {
        final List<LengthSweepPoint> points = new ArrayList<>();
        final List<MeasurementIssue> issues = new ArrayList<>();

        @Override
        public void point(LengthSweepPoint p) {
            points.add(p);
        }

        @Override
        public void issue(String item, Status status, String message) {
            issues.add(new MeasurementIssue("", item, status, message));
        }

        List<LengthSweepPoint> form(String form) {
            return points.stream().filter(p -> p.form().equals(form)).toList();
        }
    }

    private static LinearAttentionBackend linear(String name) {
        return LinearBackends.discover().stream().filter(b -> b.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void softmaxIsTimedInBothFormsAtEveryLengthWithItsOwnRoundingAsItsError() {
        Collected c = new Collected();
        LengthSweep.softmax(Backends.byName("cpu-tiled"), TINY, c);
        assertTrue(c.issues.isEmpty(), c.issues.toString());
        for (String form : List.of(LengthSweepPoint.CAUSAL, LengthSweepPoint.NON_CAUSAL)) {
            List<LengthSweepPoint> points = c.form(form);
            assertTrue(!points.isEmpty() && points.size() <= TINY.softmaxLengths().length, form + ": " + points);
            assertEquals(TINY.softmaxLengths()[0], points.getFirst().length());
            for (LengthSweepPoint p : points) {
                assertEquals(LengthSweepPoint.SOFTMAX, p.kind());
                assertTrue(p.latency().median() > 0 && p.latency().samples() >= 6, p.toString());
                assertTrue(p.error() < 1e-5, "exact attention in fp32 is off by its rounding only: " + p);
            }
        }
    }

    @Test
    void aLinearBackendIsTimedInTheFormsItDeclaresAndItsApproximationErrorIsReported() {
        Collected c = new Collected();
        LengthSweep.linear(linear("linear-recurrent"), TINY, c);
        assertEquals(1, c.issues.size(), "linear-recurrent is causal only: " + c.issues);
        MeasurementIssue nonCausal = c.issues.getFirst();
        assertEquals(Status.UNSUPPORTED, nonCausal.status());
        assertEquals("length-sweep:non-causal", nonCausal.item());
        assertTrue(nonCausal.message().contains("NON_CAUSAL"), nonCausal.message());
        List<LengthSweepPoint> causal = c.form(LengthSweepPoint.CAUSAL);
        assertEquals(c.points.size(), causal.size());
        assertEquals(TINY.linearLengths()[0], causal.getFirst().length());
        for (LengthSweepPoint p : causal) {
            assertEquals(TINY.features(), p.features());
            // m random features approximate the softmax kernel: far from fp32 rounding, far from garbage
            assertTrue(p.error() > 1e-4 && p.error() < 1, p.toString());
        }
    }

    @Test
    void theLinearLengthsGoFurtherThanSoftmaxAndEveryProfileStartsWhereTheIssueAsks() {
        for (Profile p : Profile.values()) {
            LengthSweep.Settings s = p.lengthSweep();
            int softmaxMax = Arrays.stream(s.softmaxLengths()).max().orElseThrow();
            int linearMax = Arrays.stream(s.linearLengths()).max().orElseThrow();
            assertTrue(linearMax > softmaxMax, p + ": linear goes further");
            if (p != Profile.TINY) assertEquals(256, s.softmaxLengths()[0], p + " starts at n = 256");
        }
        assertTrue(Profile.FULL.lengthSweep().softmaxLengths()[Profile.FULL.lengthSweep().softmaxLengths().length - 1]
                >= 8192, "the full profile takes softmax to where it takes seconds");
    }

    @Test
    void aBackendThatSkipsRepeatedWorkGetsNoLengthSweepFigure() {
        Collected c = new Collected();
        LengthSweep.softmax(new SkipsRepeatedWorkBackend(), TINY, c);
        assertTrue(c.points.isEmpty(), "no figure: " + c.points);
        assertEquals(2, c.issues.size(), "both forms flagged: " + c.issues);
        for (MeasurementIssue i : c.issues) {
            assertEquals(Status.FAIL, i.status());
            assertTrue(i.message().contains("gets no length-sweep figure") && i.message().contains("n=" + TINY
                    .softmaxLengths()[0]), i.message());
        }
    }
}
