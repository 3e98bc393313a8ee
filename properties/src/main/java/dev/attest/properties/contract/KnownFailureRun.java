package dev.attest.properties.contract;

import dev.attest.properties.cases.AttentionCase;
import dev.attest.properties.engine.Arbitrary;
import dev.attest.properties.engine.CaseCheck;
import dev.attest.properties.engine.PropertyDescription;
import dev.attest.properties.engine.PropertyRunner;
import dev.attest.properties.engine.PropertySettings;
import dev.attest.spi.TensorTypes;
import org.junit.jupiter.api.Assumptions;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Runs one property against the backend's known failures of it ({@link ExpectedFailure}):
 *
 * <ul>
 *   <li>none: the property runs as usual;</li>
 *   <li>one in every element type: the property must fail, and is then aborted as {@code xfail: <reason>} with its
 *       counterexample (JUnit: skipped, never passed); a pass fails the run as {@code xpass};</li>
 *   <li>some in named types: the same cases are run twice, each run checking only its own cases (the others pass
 *       unchecked, so replay keys stay valid and shrinking stays within the run's types). First the cases in
 *       unlisted types, which must pass as usual; then, for each entry, the cases in its types, which must fail
 *       (shrunk, with a reproduce line) with a report that contains its phrase. The property is then aborted as
 *       {@code xfail in fp16: <reason>}. A listed run that passes, or checks no case, fails as {@code xpass}.</li>
 * </ul>
 * A core case's types are its own, a KV cache scenario's its cache's; layer cases are fp32.
 *
 * <p>An expected failure is pinned from the build's run ({@value #PINNED_TRIES} cases per property): its cases are run
 * with at least that many, so a run with fewer tries (the CLI's quick profile) still meets the counterexample the
 * pin was made from instead of reporting a stale {@code xpass}; the unlisted cases run with the tries asked for.
 */
final class KnownFailureRun {
    /** The tries an expected failure is checked with at least: the build's (pom.xml {@code attest.tries}). */
    static final int PINNED_TRIES = 100;

    private KnownFailureRun() {
    }

    static <T> void check(PropertyDescription description, List<ExpectedFailure> known, Arbitrary<T> cases,
                          CaseCheck<T> check) {
        if (known.isEmpty()) {
            PropertyRunner.check(description, cases, check);
            return;
        }
        if (!known.getFirst().scoped()) {
            Assumptions.abort(expectFailure(known.getFirst(), description, cases, check, t -> true));
        }
        Set<TensorTypes> listed = new HashSet<>();
        known.forEach(e -> listed.addAll(e.types()));
        PropertyRunner.check(description, cases, only(check, t -> !listed.contains(t), new int[1]));
        List<String> xfails = new ArrayList<>();
        for (ExpectedFailure e : known) xfails.add(expectFailure(e, description, cases, check, e.types()::contains));
        Assumptions.abort(String.join("\n", xfails));
    }

    /** Runs the cases {@code inTypes} accepts expecting {@code e}'s failure; returns the xfail line and report. */
    private static <T> String expectFailure(ExpectedFailure e, PropertyDescription description, Arbitrary<T> cases,
                                            CaseCheck<T> check, Predicate<TensorTypes> inTypes) {
        PropertyDescription listed = new PropertyDescription(description.name(), description.clause(),
                description.subject() + e.where(), description.reproduce());
        int[] checked = new int[1];
        PropertySettings settings = PropertySettings.fromSystemProperties();
        if (settings.replay().isEmpty() && settings.tries() < PINNED_TRIES) settings = settings.withTries(PINNED_TRIES);
        try {
            PropertyRunner.check(listed, cases, only(check, inTypes, checked), settings).printSummary();
        } catch (AssertionError failure) {
            if (e.failsWith() != null && !String.valueOf(failure.getMessage()).contains(e.failsWith())) {
                throw new AssertionError("xfail mismatch: " + e.property() + " failed" + e.where() + " on "
                        + description.subject() + ", but its report does not say '" + e.failsWith()
                        + "' as its expected failure does (" + e.reason() + "): a different failure\n"
                        + failure.getMessage(), failure);
            }
            return "xfail" + e.where() + ": " + e.reason() + "\n" + failure.getMessage();
        }
        throw new AssertionError("xpass: " + e.property() + (checked[0] == 0 ? " checked no case" + e.where()
                : " passed" + e.where()) + " on " + description.subject() + " but is listed in expectedFailures() ("
                + e.reason() + "); remove the expectation");
    }

    /** {@code check} on the cases whose element types {@code inTypes} accepts (counted); the others pass. */
    private static <T> CaseCheck<T> only(CaseCheck<T> check, Predicate<TensorTypes> inTypes, int[] checked) {
        return value -> {
            TensorTypes types = value instanceof AttentionCase c ? c.types()
                    : value instanceof dev.attest.properties.cases.CacheCase c ? TensorTypes.of(c.types()) : TensorTypes.FP32;
            if (!inTypes.test(types)) return;
            checked[0]++;
            check.check(value);
        };
    }
}
