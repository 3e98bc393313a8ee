package dev.attest.spi;

import java.util.Comparator;
import java.util.List;

/** Discovery of linear-attention backends through {@link java.util.ServiceLoader}, sorted by name. */
public final class LinearBackends {
    private LinearBackends() {
    }

    public static List<LinearAttentionBackend> discover(ClassLoader loader) {
        List<LinearAttentionBackend> found = Providers.load(LinearAttentionBackend.class, loader, "linear backend");
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
