package dev.attest.spi;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/** Discovery of backends through {@link java.util.ServiceLoader}, in a stable order (by name). */
public final class Backends {
    private Backends() {
    }

    /** Every backend visible to {@code loader}, sorted by name; a broken provider is an error naming it. */
    public static List<AttentionBackend> discover(ClassLoader loader) {
        List<AttentionBackend> found = Providers.load(AttentionBackend.class, loader, "backend");
        found.sort(Comparator.comparing(AttentionBackend::name));
        for (int i = 1; i < found.size(); i++) {
            if (found.get(i).name().equals(found.get(i - 1).name())) {
                throw new IllegalStateException("two backends share the name " + found.get(i).name() + ": "
                        + found.get(i - 1).getClass().getName() + " and " + found.get(i).getClass().getName());
            }
        }
        return found;
    }

    public static List<AttentionBackend> discover() {
        return discover(Thread.currentThread().getContextClassLoader());
    }

    /** The backend called {@code name}; an unknown name is an error listing the known ones. */
    public static AttentionBackend byName(String name) {
        List<AttentionBackend> all = discover();
        return all.stream().filter(b -> b.name().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("unknown backend '" + name + "'; known backends: "
                        + all.stream().map(AttentionBackend::name).collect(Collectors.joining(", "))));
    }
}
