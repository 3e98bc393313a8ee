package dev.attest.properties.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Pins the fact block format: people and tools read it. */
class FactsTest {

    @Test
    void keysArePaddedSoValuesFormOneColumn() {
        String block = Facts.of().add("backend", "cpu-naive").add("expected", 1.0).add("but was", 1.5).toString();
        assertEquals("""
                backend  : cpu-naive
                expected : 1.0
                but was  : 1.5""", block);
    }

    @Test
    void multiLineValuesAreIndentedToTheValueColumn() {
        String nested = Facts.of().add("expected", 1).add("but was", 2).toString();
        String block = Facts.of().add("property", "p").add("failure", nested).add("reproduce", "cmd").toString();
        assertEquals("""
                property  : p
                failure   : expected : 1
                            but was  : 2
                reproduce : cmd""", block);
    }

    @Test
    void emptyLinesAndEmptyValuesLeaveNoTrailingSpaces() {
        String block = Facts.of().add("a", "").add("bb", "x\n\ny").toString();
        assertEquals("a  :\nbb : x\n\n     y", block);
    }

    @Test
    void nullValuesPrintAsNullAndEmptyBlockIsEmpty() {
        assertEquals("key : null", Facts.of().add("key", null).toString());
        assertEquals("", Facts.of().toString());
    }

    @Test
    void addAllKeepsOrderAndRealignsAcrossBothBlocks() {
        Facts tail = Facts.of().add("a much longer key", "v");
        assertEquals("k                 : 1\na much longer key : v", Facts.of().add("k", 1).addAll(tail).toString());
    }

    @Test
    void keysMustBeOneLine() {
        assertThrows(IllegalArgumentException.class, () -> Facts.of().add("two\nlines", 1));
    }
}
