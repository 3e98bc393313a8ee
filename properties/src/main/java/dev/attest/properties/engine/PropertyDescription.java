package dev.attest.properties.engine;

import java.util.Objects;

/**
 * What a property run is about, for its reports: the property's name, the {@code DESIGN.md} clause it checks, the
 * subject under test (such as a backend), and how to rerun one of its cases.
 *
 * @param name the property's name, such as {@code required_masks_1_masked_keys_get_zero_weight}
 * @param clause the specification clause it checks, such as {@code DESIGN.md §Masks}
 * @param subject what is being checked, such as a backend name
 * @param reproduce builds the "reproduce" command line of a failure
 */
public record PropertyDescription(String name, String clause, String subject, ReproduceCommand reproduce) {

    public PropertyDescription {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(clause, "clause");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(reproduce, "reproduce");
    }

    /** A description with the {@linkplain ReproduceCommand#DEFAULT default} reproduce command. */
    public static PropertyDescription of(String name, String clause, String subject) {
        return new PropertyDescription(name, clause, subject, ReproduceCommand.DEFAULT);
    }

    /** This description with another reproduce command. */
    public PropertyDescription withReproduce(ReproduceCommand command) {
        return new PropertyDescription(name, clause, subject, command);
    }

    /** The one-line command that reruns the case with this key. */
    public String reproduceCommand(CaseKey key) {
        return reproduce.command(key);
    }
}
