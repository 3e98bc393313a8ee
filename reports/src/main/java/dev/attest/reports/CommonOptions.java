package dev.attest.reports;

import java.io.PrintWriter;

import dev.attest.reports.model.BackendInfo;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Options every running command shares: backend selection, third-party jars, seed, tries, shard. */
public final class CommonOptions {
    /** How many properties run per backend (for the progress bar): the kit's rule-named methods. */
    static final int PROPERTY_COUNT_HINT = countProperties(dev.attest.properties.contract.DiscoveredBackendsConformance.class);
    static final int LINEAR_PROPERTY_COUNT_HINT =
            countProperties(dev.attest.properties.linear.DiscoveredLinearBackendsConformance.class);

    private static int countProperties(Class<?> contract) {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Class<?> c = contract; c != null; c = c.getSuperclass()) {
            for (var m : c.getDeclaredMethods()) {
                if (m.getName().matches("(required|optional|stochastic|untested)_.*")) names.add(m.getName());
            }
        }
        return Math.max(1, names.size());
    }
    /** The seed `./build test` uses (pom.xml attest.seed), so the CLI and the build agree by default. */
    public static final long DEFAULT_SEED = 20261123L;

    @Option(names = {"-b", "--backend"}, paramLabel = "NAME", split = ",",
            description = "backends to run (repeat or comma-separate; default: all)")
    List<String> backendNames = new ArrayList<>();

    @Option(names = "--jar", paramLabel = "PATH", description = "a jar with third-party backends (repeatable)")
    List<Path> jars = new ArrayList<>();

    @Option(names = "--tries", defaultValue = "40",
            description = "cases per property, 1 to " + MAX_TRIES + " (default: ${DEFAULT-VALUE})")
    int tries;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "longest a property or a measurement may run before it fails as hung, 1 to " + MAX_TIMEOUT
                    + " (default: ${DEFAULT-VALUE}); a backend that ignores interrupts loses its worker JVM")
    int timeoutSeconds;

    @Option(names = "--seed", paramLabel = "S", description = "property seed, or 'random' (default: 20261123)")
    String seedText;

    @Option(names = "--shard", paramLabel = "I/N", description = "run only shard I of N of the work items")
    String shardText;

    /** Bounds: a run of 10^5 cases per property already takes hours; beyond it is a typo, not a plan. */
    static final int MAX_TRIES = 100_000, MAX_TIMEOUT = 86_400;

    private Discovery.Selection selection;

    /** Checks the numeric options; every command calls it before any work. */
    void validate() {
        if (tries < 1 || tries > MAX_TRIES) {
            throw new UsageException("--tries must be between 1 and " + MAX_TRIES + ", got " + tries);
        }
        if (timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT) {
            throw new UsageException("--timeout must be between 1 and " + MAX_TIMEOUT + " seconds, got "
                    + timeoutSeconds);
        }
        for (Path jar : jars) BackendSelection.checkJar(jar);
        shard();
        seed();
    }

    /**
     * The settings the workers share; {@code replay}, {@code property} and {@code reproduce} as {@link RunSettings}
     * says (null for none).
     */
    RunSettings settings(long seed, String profile, String replay, String property, String reproduce) {
        validate();
        return new RunSettings(jars.stream().map(p -> p.toAbsolutePath().toString()).toList(), seed, tries,
                shard().toString(), timeoutSeconds, replay, property, reproduce, profile);
    }

    /**
     * The selected backends, found by a discovery worker (no backend's code runs in this JVM), with the providers
     * that could not be instantiated as failures.
     */
    Discovery.Selection selection(RunSettings settings, PrintWriter err) {
        if (selection == null) selection = Discovery.select(settings, backendNames, err);
        return selection;
    }

    public List<String> requested() {
        return backendNames.isEmpty() ? List.of("all") : List.copyOf(backendNames);
    }

    public long seed() {
        return parseSeed(seedText);
    }

    /** A --seed value: a long, 'random' (a fresh seed), or null for {@link #DEFAULT_SEED}. */
    static long parseSeed(String seedText) {
        if (seedText == null) return DEFAULT_SEED;
        if (seedText.equals("random")) return System.nanoTime() ^ 0x9E3779B97F4A7C15L;
        try {
            return Long.parseLong(seedText);
        } catch (NumberFormatException e) {
            throw new UsageException("--seed must be a long or 'random', got '" + seedText + "'");
        }
    }

    public Shard shard() {
        return Shard.parse(shardText);
    }

    /** Report entries for discovered backends. */
    public static List<BackendInfo> infos(List<ProviderInfo> backends) {
        return backends.stream().map(b -> new BackendInfo(b.name(), b.description(), b.precision(), b.available(),
                b.unavailableReason(), b.device())).toList();
    }
}
