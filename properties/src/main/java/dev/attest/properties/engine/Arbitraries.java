package dev.attest.properties.engine;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * The few general-purpose arbitraries that domain generators are built from. Deliberately small: richer
 * generators belong next to the domain they describe, where they can shrink in domain terms.
 */
public final class Arbitraries {

    private Arbitraries() {
    }

    /**
     * Integers in {@code [min, max]}.
     *
     * <p>Generation explores a window around the shrink target (the bound closest to zero, or zero itself when it
     * is in range) that widens with the size, so early cases are small. Edge cases are {@code min}, {@code max}, and
     * 0 and 1 where in range. Shrinking moves towards the target: first the target itself, then halfway, a quarter
     * of the way, and so on, down to one step away; a greedy shrinker therefore lands on the exact boundary of a
     * monotone property.
     */
    public static Arbitrary<Integer> integers(int min, int max) {
        if (min > max) {
            throw new IllegalArgumentException("integers(" + min + ", " + max + "): min is greater than max");
        }
        long target = min > 0 ? min : Math.min(max, 0);
        return new Arbitrary<>() {
            @Override
            public Integer generate(CaseRandom random, int size) {
                long span = (long) max - min;
                long reach = Math.max(1, Math.ceilDiv(span * Math.clamp(size, 1, PropertyRunner.MAX_SIZE),
                        PropertyRunner.MAX_SIZE));
                long lo = Math.max(min, target - reach);
                long hi = Math.min(max, target + reach);
                return (int) (lo + random.nextLong(hi - lo + 1));
            }

            @Override
            public List<Integer> edgeCases() {
                Set<Integer> edges = new LinkedHashSet<>(List.of(min, max));
                if (min <= 0 && 0 <= max) {
                    edges.add(0);
                }
                if (min <= 1 && 1 <= max) {
                    edges.add(1);
                }
                return List.copyOf(edges);
            }

            @Override
            public Stream<Integer> shrink(Integer value) {
                long distance = value - target;
                // value - distance, value - distance/2, ..., value - sign(distance): the target first, one step last.
                return LongStream.iterate(distance, d -> d != 0, d -> d / 2).mapToObj(d -> (int) (value - d));
            }
        };
    }

    /**
     * One of the given values, chosen uniformly. The first value is the only edge case, and a value shrinks towards
     * the values listed before it: list the simplest first.
     */
    @SafeVarargs
    public static <T> Arbitrary<T> of(T... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("of(): at least one value is needed");
        }
        List<T> choices = Arrays.asList(values.clone());
        return new Arbitrary<>() {
            @Override
            public T generate(CaseRandom random, int size) {
                return choices.get(random.nextInt(choices.size()));
            }

            @Override
            public List<T> edgeCases() {
                return List.of(choices.getFirst());
            }

            @Override
            public Stream<T> shrink(T value) {
                int index = IntStream.range(0, choices.size())
                        .filter(i -> Objects.equals(choices.get(i), value))
                        .findFirst()
                        .orElse(0);
                return choices.subList(0, index).stream();
            }
        };
    }
}
