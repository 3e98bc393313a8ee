package dev.attest.reference;

/**
 * A spec, tensor or option that contradicts the attention contract. The message always names the offending
 * dimension, option or value and, where two things disagree, both values: the user should be able to fix the call
 * from the message alone.
 */
public class InvalidProblemException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidProblemException(String message) {
        super(message);
    }

    /** Throws unless {@code condition}; the message is only formatted on failure. */
    public static void require(boolean condition, String format, Object... args) {
        if (!condition) {
            throw new InvalidProblemException(String.format(java.util.Locale.ROOT, format, args));
        }
    }

    /** Throws unless {@code value > 0}, naming the dimension. */
    public static int requirePositive(String dimension, int value) {
        require(value > 0, "%s must be positive, was %d", dimension, value);
        return value;
    }

    /** Throws unless both sides of a shape agreement are equal, naming the dimension and both values. */
    public static void requireSame(String dimension, String leftName, int left, String rightName, int right) {
        require(left == right, "%s disagrees: %s has %d but %s has %d", dimension, leftName, left, rightName, right);
    }
}
