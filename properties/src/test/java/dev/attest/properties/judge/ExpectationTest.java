package dev.attest.properties.judge;

import dev.attest.properties.cases.AttentionCase;
import dev.attest.properties.cases.Values;
import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Layout;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The figures a comparison reports (the CLI's accuracy table shows them): a non-finite output where the oracle is
 * finite is an infinite error, never an error of 0.
 */
class ExpectationTest {

    private static AttentionProblem problem() {
        return AttentionCase.basic(3, 4, 2).withData(Layout.BHSD, Layout.BHSD, Values.NORMAL, 5).materialize();
    }

    @Test
    void anOutputOfNaNEverywhereHasInfiniteErrorAndFails() {
        AttentionProblem p = problem();
        Expectation e = Expectation.attention(p, Precision.FP32, 2);
        Tensor nan = p.allocateOutput(Layout.BHSD).fill(Float.NaN);
        Expectation.Comparison c = e.compare(nan);
        assertEquals(Double.POSITIVE_INFINITY, c.maxAbsError());
        assertEquals(Double.POSITIVE_INFINITY, c.relativeRms());
        assertEquals(Double.POSITIVE_INFINITY, c.ratio());
        assertEquals(0, c.worstIndex(), "the worst element is the first non-finite one");
        assertFalse(c.passes());
        AssertionError failure = assertThrows(AssertionError.class, c::requireWithinAllowance);
        assertTrue(failure.getMessage().contains("non-finite output where the oracle is finite")
                && failure.getMessage().contains("element           : [b=0, h=0, i=0, d=0]")
                && failure.getMessage().contains("max abs error     : Infinity"), failure::getMessage);
    }

    @Test
    void oneInfiniteElementAmongCorrectOnesIsTheWorstElement() {
        AttentionProblem p = problem();
        Expectation e = Expectation.attention(p, Precision.FP32, 2);
        Tensor out = p.allocateOutput(Layout.BHSD);
        for (int i = 0; i < out.size(); i++) out.data()[i] = (float) e.oracleValue(i);
        assertTrue(e.compare(out).passes(), "the rounded oracle itself passes");
        out.set(Float.POSITIVE_INFINITY, 0, 0, 2, 1);
        Expectation.Comparison c = e.compare(out);
        assertEquals(Double.POSITIVE_INFINITY, c.maxAbsError());
        assertEquals(Double.POSITIVE_INFINITY, c.relativeRms());
        assertEquals("[b=0, h=0, i=2, d=1]", Expectation.index(e.shape(), c.worstIndex()));
        assertFalse(c.passes());
    }

    @Test
    void finiteErrorsAreMeasuredAsBefore() {
        AttentionProblem p = problem();
        Expectation e = Expectation.attention(p, Precision.FP32, 2);
        Tensor out = p.allocateOutput(Layout.BHSD);
        for (int i = 0; i < out.size(); i++) out.data()[i] = (float) e.oracleValue(i);
        out.set(out.get(0, 0, 1, 0) + 0.5f, 0, 0, 1, 0);
        Expectation.Comparison c = e.compare(out);
        assertEquals(0.5, c.maxAbsError(), 1e-6);
        assertTrue(Double.isFinite(c.relativeRms()) && c.relativeRms() > 0);
        assertEquals("[b=0, h=0, i=1, d=0]", Expectation.index(e.shape(), c.worstIndex()));
    }
}
