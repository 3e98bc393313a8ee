package dev.attest.properties.contract;

import dev.attest.spi.AttentionBackend;
import dev.attest.spi.Backends;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
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

    /** The kit's line, unless the run that drives this class says how its failures replay. */
    @Override
    protected String reproduceCommand(String property, dev.attest.properties.engine.CaseKey key) {
        return dev.attest.properties.engine.ReproduceCommand.fromTemplate(backend.name(), property, key,
                super.reproduceCommand(property, key));
    }

    static Stream<Arguments> backends() {
        return selected().stream().map(b -> Arguments.of(Named.of(b.name(), b)));
    }

    /** The discovered backends, narrowed by {@value #BACKENDS_PROPERTY}. */
    public static List<AttentionBackend> selected() {
        return BackendFilter.select(Backends.discover(), AttentionBackend::name, BACKENDS_PROPERTY, "backend");
    }
}
