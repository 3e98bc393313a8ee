package dev.attest.properties.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ArbitrariesTest {

    @Test
    void integerEdgeCasesAreTheBoundsThenZeroAndOneWhereInRange() {
        assertEquals(List.of(-3, 7, 0, 1), Arbitraries.integers(-3, 7).edgeCases());
        assertEquals(List.of(5, 10), Arbitraries.integers(5, 10).edgeCases());
        assertEquals(List.of(0, 1), Arbitraries.integers(0, 1).edgeCases());
        assertEquals(List.of(4), Arbitraries.integers(4, 4).edgeCases());
    }

    @Test
    void integersShrinkTowardsTheBoundClosestToZeroByHalvingTheDistance() {
        assertEquals(List.of(0, 50, 75, 88, 94, 97, 99), Arbitraries.integers(0, 1000).shrink(100).toList());
        assertEquals(List.of(0, -5, -8, -9), Arbitraries.integers(-100, 100).shrink(-10).toList());
        assertEquals(List.of(5, 6), Arbitraries.integers(5, 10).shrink(7).toList());
        assertEquals(List.of(-1), Arbitraries.integers(-9, -1).shrink(-2).toList());
        assertEquals(List.of(), Arbitraries.integers(5, 10).shrink(5).toList());
    }

    @Test
    void integersStayInRangeAndGrowWithSize() {
        Arbitrary<Integer> ints = Arbitraries.integers(-1000, 1000);
        CaseRandom random = new CaseRandom(3);
        for (int i = 0; i < 2000; i++) {
            int small = ints.generate(random, 1);
            assertTrue(Math.abs(small) <= 20, "size 1 reaches 1% of the range, got " + small);
            int any = ints.generate(random, PropertyRunner.MAX_SIZE);
            assertTrue(-1000 <= any && any <= 1000, "out of range: " + any);
        }
        Arbitrary<Integer> full = Arbitraries.integers(Integer.MIN_VALUE, Integer.MAX_VALUE);
        assertTrue(full.generate(new CaseRandom(1), 100) != full.generate(new CaseRandom(2), 100));
        assertThrows(IllegalArgumentException.class, () -> Arbitraries.integers(2, 1));
    }

    @Test
    void ofShrinksTowardsEarlierValuesAndHasTheFirstAsEdgeCase() {
        Arbitrary<String> sizes = Arbitraries.of("tiny", "small", "large");
        assertEquals(List.of("tiny", "small"), sizes.shrink("large").toList());
        assertEquals(List.of(), sizes.shrink("tiny").toList());
        assertEquals(List.of("tiny"), sizes.edgeCases());
        CaseRandom random = new CaseRandom(9);
        for (int i = 0; i < 100; i++) {
            assertTrue(List.of("tiny", "small", "large").contains(sizes.generate(random, 1)));
        }
    }

    @Test
    void caseRandomIsReproducibleFromItsSeed() {
        CaseRandom a = new CaseRandom(77);
        CaseRandom b = new CaseRandom(77);
        assertEquals(77, a.seed());
        for (int i = 0; i < 50; i++) {
            assertEquals(a.nextInt(-3, 3), b.nextInt(-3, 3));
            assertEquals(a.nextGaussian(), b.nextGaussian());
        }
        assertEquals(a.split().seed(), b.split().seed());
        CaseRandom inclusive = new CaseRandom(1);
        boolean sawMax = false;
        for (int i = 0; i < 200; i++) {
            int v = inclusive.nextInt(0, 2);
            assertTrue(0 <= v && v <= 2);
            sawMax |= v == 2;
        }
        assertTrue(sawMax, "nextInt(min, max) includes max");
    }
}
