package dev.attest.properties.linear;

import java.util.List;
import java.util.stream.Stream;

import dev.attest.properties.contract.BackendFilter;
import dev.attest.spi.LinearAttentionBackend;
import dev.attest.spi.LinearBackends;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The linear contract run once per linear backend found through {@link java.util.ServiceLoader}
 * ({@code META-INF/services/dev.attest.spi.LinearAttentionBackend}). {@code -Dattest.linear.backends=a,b} narrows
 * the run; an unknown name is an error listing the known ones.
 */
@ParameterizedClass(name = "{0}", allowZeroInvocations = true)
@MethodSource("dev.attest.properties.linear.DiscoveredLinearBackendsConformance#backends")
public class DiscoveredLinearBackendsConformance extends LinearAttentionContract {

    public static final String BACKENDS_PROPERTY = "attest.linear.backends";

    @Parameter
    LinearAttentionBackend backend;

    @Override
    protected LinearAttentionBackend backend() {
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

    public static List<LinearAttentionBackend> selected() {
        return BackendFilter.select(LinearBackends.discover(), LinearAttentionBackend::name, BACKENDS_PROPERTY, "linear backend");
    }
}
