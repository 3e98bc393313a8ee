package dev.attest.properties.contract;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The rule both discovered-backend suites use to narrow a run from a system property: empty or {@code all} means
 * every backend, {@code none} means no backend (a selection that names only backends of the other SPI), otherwise
 * comma-separated names, and an unknown name is an error listing the known ones.
 */
public final class BackendFilter {
    private BackendFilter() {
    }

    public static <T> List<T> select(List<T> all, Function<T, String> name, String property, String kind) {
        String wanted = System.getProperty(property, "").trim();
        if (wanted.isEmpty() || wanted.equals("all")) return all;
        if (wanted.equals("none")) return List.of();
        Set<String> names = Arrays.stream(wanted.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toSet());
        Set<String> known = all.stream().map(name).collect(Collectors.toSet());
        for (String n : names) {
            if (!known.contains(n)) {
                throw new IllegalArgumentException("unknown " + kind + " '" + n + "'; known: "
                        + all.stream().map(name).collect(Collectors.joining(", ")));
            }
        }
        return all.stream().filter(b -> names.contains(name.apply(b))).toList();
    }
}
