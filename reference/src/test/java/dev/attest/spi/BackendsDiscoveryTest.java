package dev.attest.spi;

import dev.attest.reference.AttentionProblem;
import dev.attest.reference.Precision;
import dev.attest.reference.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A class-path entry with a service file adds a backend; names must be unique; undeclared features are refused. */
class BackendsDiscoveryTest {

    /** A stand-in for a third party's backend, registered only through the service file written below. */
    public static final class ThirdParty extends CheckedBackend {
        public ThirdParty() {
            super("third-party", "test stand-in", new Capabilities(EnumSet.noneOf(Feature.class), Precision.FP32));
        }

        @Override
        protected void computeAttention(AttentionProblem problem, Tensor out) {
            out.fill(0f);
        }
    }

    /** The same name again: discovery must refuse the ambiguity. */
    public static final class Impostor extends CheckedBackend {
        public Impostor() {
            super("third-party", "impostor", new Capabilities(EnumSet.noneOf(Feature.class), Precision.FP32));
        }

        @Override
        protected void computeAttention(AttentionProblem problem, Tensor out) {
        }
    }

    private static ClassLoader withServiceFile(Path dir, String... classes) throws Exception {
        Path services = dir.resolve("META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve(AttentionBackend.class.getName()), String.join("\n", classes) + "\n");
        return new URLClassLoader(new URL[]{dir.toUri().toURL()}, BackendsDiscoveryTest.class.getClassLoader());
    }

    @Test
    void a_service_file_on_the_class_path_adds_a_backend(@TempDir Path dir) throws Exception {
        List<AttentionBackend> found = Backends.discover(withServiceFile(dir, ThirdParty.class.getName()));
        assertTrue(found.stream().anyMatch(b -> b.name().equals("third-party")), found::toString);
    }

    @Test
    void two_backends_with_one_name_are_an_error_naming_both(@TempDir Path dir) throws Exception {
        ClassLoader loader = withServiceFile(dir, ThirdParty.class.getName(), Impostor.class.getName());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.discover(loader));
        assertTrue(e.getMessage().contains("third-party") && e.getMessage().contains("Impostor"), e.getMessage());
    }

    @Test
    void a_backend_refuses_undeclared_features_before_writing() {
        ThirdParty backend = new ThirdParty();
        var spec = dev.attest.reference.AttentionSpec.builder().lengths(2, 2).headDim(2).softcap(5).build();
        AttentionProblem p = new AttentionProblem(spec, Tensor.zeros(1, 1, 2, 2), Tensor.zeros(1, 1, 2, 2),
                Tensor.zeros(1, 1, 2, 2));
        Tensor out = p.allocateOutput(dev.attest.reference.Layout.BHSD).fill(Float.NaN);
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class, () -> backend.attention(p, out));
        assertEquals(java.util.Set.of(Feature.SOFTCAP), e.features());
        assertTrue(Float.isNaN(out.get(0, 0, 0, 0)), "nothing written before the refusal");
    }
}
