package dev.attest.reference;

import java.util.Arrays;

/**
 * Where query row {@code i} of sequence {@code b} sits among the keys: its position is {@code p = i + offset_b}.
 * Causal masks ({@code j <= p}) and sliding windows ({@code p - left <= j <= p + right}) are defined on that
 * position, so the alignment is always named, never implied (DESIGN.md "Causal alignment is explicit").
 *
 * <ul>
 *   <li>{@link #TOP_LEFT}: offset 0, PyTorch {@code is_causal}, ONNX {@code is_causal} with neither
 *       {@code past_key} nor {@code nonpad_kv_seqlen};</li>
 *   <li>{@link #BOTTOM_RIGHT}: offset {@code Skv - Sq}, FlashAttention 2.1 and later;</li>
 *   <li>{@link #offset(int)}: an explicit offset, with a KV cache the past length (ONNX {@code is_causal} with
 *       {@code past_key}: its length);</li>
 *   <li>{@link #KEY_LENGTHS}: bottom-right to each sequence's own valid keys, offset {@code keyLengths[b] - Sq}
 *       ({@code Skv - Sq} without key lengths): ONNX opset 24's {@code is_causal} with {@code nonpad_kv_seqlen}
 *       (the external cache), FlashAttention's {@code cache_seqlens} (whose valid keys are
 *       {@code cache_seqlens[b] + Sq});</li>
 *   <li>{@link #perSequence(int...)}: an explicit offset for each sequence of the batch (a batch of sequences at
 *       different decoding positions).</li>
 * </ul>
 * The last two differ from sequence to sequence: a backend that takes them declares
 * {@code Feature.PER_SEQUENCE_OFFSETS}.
 *
 * @param offsets the per-sequence offsets of {@link Kind#PER_SEQUENCE} (one per batch row), else null
 */
public record Alignment(Kind kind, int explicitOffset, int[] offsets) {
    public enum Kind { TOP_LEFT, BOTTOM_RIGHT, OFFSET, KEY_LENGTHS, PER_SEQUENCE }

    public static final Alignment TOP_LEFT = new Alignment(Kind.TOP_LEFT, 0, null);
    public static final Alignment BOTTOM_RIGHT = new Alignment(Kind.BOTTOM_RIGHT, 0, null);
    public static final Alignment KEY_LENGTHS = new Alignment(Kind.KEY_LENGTHS, 0, null);

    public Alignment {
        InvalidProblemException.require(kind != null, "alignment kind must not be null");
        InvalidProblemException.require(kind == Kind.OFFSET || explicitOffset == 0,
                "alignment %s takes no offset, got %d", kind, explicitOffset);
        InvalidProblemException.require((kind == Kind.PER_SEQUENCE) == (offsets != null),
                "alignment %s %s per-sequence offsets", kind, kind == Kind.PER_SEQUENCE ? "needs" : "takes no");
        if (offsets != null) {
            InvalidProblemException.require(offsets.length > 0, "per-sequence offsets must name at least one sequence");
            offsets = offsets.clone();
        }
    }

    public Alignment(Kind kind, int explicitOffset) {
        this(kind, explicitOffset, null);
    }

    /** Query row {@code i} sits at key position {@code i + past}; negative offsets are allowed (rows see less). */
    public static Alignment offset(int past) {
        return new Alignment(Kind.OFFSET, past, null);
    }

    /** Sequence {@code b}'s query row {@code i} sits at key position {@code i + offsets[b]}. */
    public static Alignment perSequence(int... offsets) {
        InvalidProblemException.require(offsets != null, "per-sequence offsets must not be null");
        return new Alignment(Kind.PER_SEQUENCE, 0, offsets);
    }

    /** Whether the offset can differ between the sequences of a batch. */
    public boolean perSequence() {
        return kind == Kind.KEY_LENGTHS || kind == Kind.PER_SEQUENCE;
    }

    @Override
    public int[] offsets() {
        return offsets == null ? null : offsets.clone();
    }

    /**
     * The offset for {@code qLength} queries over {@code kvLength} keys, the same for every sequence; a per-sequence
     * alignment has none (use {@link #offsetFor(int, int, int, int)}).
     */
    public int offsetFor(int qLength, int kvLength) {
        return switch (kind) {
            case TOP_LEFT -> 0;
            case BOTTOM_RIGHT -> kvLength - qLength;
            case OFFSET -> explicitOffset;
            case KEY_LENGTHS, PER_SEQUENCE -> throw new IllegalStateException("alignment " + this + " differs per"
                    + " sequence: ask for one sequence's offset");
        };
    }

    /**
     * The offset of sequence {@code batchRow}, whose valid keys number {@code keyLength} (its key length, or
     * {@code kvLength} without key padding).
     */
    public int offsetFor(int batchRow, int qLength, int kvLength, int keyLength) {
        return switch (kind) {
            case KEY_LENGTHS -> keyLength - qLength;
            case PER_SEQUENCE -> offsets[batchRow];
            default -> offsetFor(qLength, kvLength);
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Alignment a && a.kind == kind && a.explicitOffset == explicitOffset
                && Arrays.equals(a.offsets, offsets);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * kind.hashCode() + explicitOffset) + Arrays.hashCode(offsets);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case OFFSET -> "OFFSET(" + explicitOffset + ")";
            case PER_SEQUENCE -> "PER_SEQUENCE" + Arrays.toString(offsets);
            default -> kind.name();
        };
    }
}
