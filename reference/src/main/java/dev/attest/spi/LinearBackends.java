package dev.attest.spi;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/** Discovery of linear-attention backends through {@link ServiceLoader}, sorted by name. */
public final class LinearBackends {
    private LinearBackends() {
    }

    public static List<LinearAttentionBackend> discover(ClassLoader loader) {
        List<LinearAttentionBackend> found = new ArrayList<>();
        try {
            for (LinearAttentionBackend b : ServiceLoader.load(LinearAttentionBackend.class, loader)) found.add(b);
        } catch (ServiceConfigurationError e) {
            throw new IllegalStateException("a linear backend provider could not be loaded: " + e.getMessage(), e);
        }
        found.sort(Comparator.comparing(LinearAttentionBackend::name));
        for (int i = 1; i < found.size(); i++) {
            if (found.get(i).name().equals(found.get(i - 1).name())) {
                throw new IllegalStateException("two linear backends share the name " + found.get(i).name());
            }
        }
        return found;
    }

    public static List<LinearAttentionBackend> discover() {
        return discover(Thread.currentThread().getContextClassLoader());
    }
}
