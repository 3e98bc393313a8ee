package dev.attest.properties.cases;

/** The mask a case carries, from none to the kinds that exercise the masking clauses. */
public enum MaskKind {
    NONE,
    /** Random boolean mask (about 70 % attended). */
    BOOLEAN,
    /** Boolean mask in which some query rows see no key at all. */
    BOOLEAN_WITH_EMPTY_ROWS,
    /** Random additive bias, some entries -inf. */
    ADDITIVE
}
