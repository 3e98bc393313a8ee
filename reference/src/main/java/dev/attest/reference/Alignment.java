package dev.attest.reference;

/**
 * Where query row {@code i} sits among the keys: its position is {@code p = i + offset}. Causal masks
 * ({@code j <= p}) and sliding windows ({@code p - left <= j <= p + right}) are defined on that position, so the
 * alignment is always named, never implied (DESIGN.md "Causal alignment is explicit").
 *
 * <ul>
 *   <li>{@link #TOP_LEFT}: offset 0, PyTorch {@code is_causal}, ONNX {@code is_causal} without past;</li>
 *   <li>{@link #BOTTOM_RIGHT}: offset {@code Skv - Sq}, FlashAttention 2.1 and later;</li>
 *   <li>{@link #offset(int)}: an explicit offset, with a KV cache the past length.</li>
 * </ul>
 */
public record Alignment(Kind kind, int explicitOffset) {
    public enum Kind { TOP_LEFT, BOTTOM_RIGHT, OFFSET }

    public static final Alignment TOP_LEFT = new Alignment(Kind.TOP_LEFT, 0);
    public static final Alignment BOTTOM_RIGHT = new Alignment(Kind.BOTTOM_RIGHT, 0);

    public Alignment {
        InvalidProblemException.require(kind != null, "alignment kind must not be null");
        InvalidProblemException.require(kind == Kind.OFFSET || explicitOffset == 0,
                "alignment %s takes no offset, got %d", kind, explicitOffset);
    }

    /** Query row {@code i} sits at key position {@code i + past}; negative offsets are allowed (rows see less). */
    public static Alignment offset(int past) {
        return new Alignment(Kind.OFFSET, past);
    }

    /** The offset for {@code qLength} queries over {@code kvLength} keys. */
    public int offsetFor(int qLength, int kvLength) {
        return switch (kind) {
            case TOP_LEFT -> 0;
            case BOTTOM_RIGHT -> kvLength - qLength;
            case OFFSET -> explicitOffset;
        };
    }

    @Override
    public String toString() {
        return kind == Kind.OFFSET ? "OFFSET(" + explicitOffset + ")" : kind.name();
    }
}
