package dev.attest.spi;

import java.util.List;

/**
 * A linear-attention backend was asked for a form, option, rule or feature map it does not declare. Thrown before
 * any output is written. The suite turns it into "unsupported", never into a pass.
 */
public class UnsupportedLinearFeatureException extends UnsupportedOperationException {
    private static final long serialVersionUID = 1L;
    private final transient List<String> missing;

    public UnsupportedLinearFeatureException(String backend, List<String> missing) {
        super("linear backend " + backend + " does not support " + missing + " (not in its declared capabilities)");
        this.missing = List.copyOf(missing);
    }

    public List<String> missing() {
        return missing;
    }
}
