package dev.attest.properties.contract;

import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Backends;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The contract run once per backend found on the class path through {@link java.util.ServiceLoader}: built-in
 * backends and any third-party jar alike. {@code -Dattest.backends=a,b} narrows the run to the named backends; an
 * unknown name is an error that lists the known ones.
 */
@ParameterizedClass(name = "{0}", allowZeroInvocations = true)
@MethodSource("dev.attest.properties.contract.DiscoveredBackendsConformance#backends")
public class DiscoveredBackendsConformance extends AttentionContract {

    /** System property naming the backends to run (comma-separated); empty or absent means all. */
    public static final String BACKENDS_PROPERTY = "attest.backends";

    @Parameter
    AttentionBackend backend;

    @Override
    protected AttentionBackend backend() {
        return backend;
    }

    static Stream<Arguments> backends() {
        return selected().stream().map(b -> Arguments.of(Named.of(b.name(), b)));
    }

    /** The discovered backends, narrowed by {@value #BACKENDS_PROPERTY}. */
    public static List<AttentionBackend> selected() {
        List<AttentionBackend> all = Backends.discover();
        String wanted = System.getProperty(BACKENDS_PROPERTY, "").trim();
        if (wanted.isEmpty() || wanted.equals("all")) return all;
        if (wanted.equals("none")) return List.of();
        Set<String> names = Arrays.stream(wanted.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toCollection(java.util.LinkedHashSet::new));
        Set<String> known = all.stream().map(AttentionBackend::name).collect(Collectors.toSet());
        for (String name : names) {
            if (!known.contains(name)) {
                throw new IllegalArgumentException("unknown backend '" + name + "'; known backends: "
                        + all.stream().map(AttentionBackend::name).collect(Collectors.joining(", ")));
            }
        }
        return all.stream().filter(b -> names.contains(b.name())).toList();
    }
}
