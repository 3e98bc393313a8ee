package dev.attest.reports;

import dev.attest.reports.MergeCommand.Part;
import dev.attest.reports.model.Report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The reports that {@code attest merge} may turn into one whole run: shards 1..N of one N, each exactly once, all of
 * one run; or a single report that is already whole. Anything else would give a report that looks whole but lacks
 * work items, or mixes runs, and a CI gate would pass it; so it is refused with one line naming the file and what
 * differs or is missing.
 */
final class ShardSet {
    /**
     * What makes shards parts of one run: the shard's own position aside, the settings of the command line and of
     * Attest itself, and the backends it saw (a backend available on one machine of a CI matrix and not on another
     * would merge into cells of two different setups).
     */
    private static final List<Field> SAME_RUN = List.of(
            new Field("command", r -> r.run().command()),
            new Field("profile", r -> r.run().profile()),
            new Field("seed", r -> r.run().seed()),
            new Field("tries", r -> r.run().tries()),
            new Field("requested backends", r -> r.run().requested()),
            new Field("bench settings", r -> r.run().bench()),
            new Field("attest version", r -> r.environment().attestVersion()),
            new Field("backends", r -> r.backends().stream()
                    .map(b -> b.name() + (b.available() ? "" : " (unavailable)")).toList()));

    private record Field(String name, Function<Report, Object> value) {
    }

    private ShardSet() {
    }

    /** {@code parts} in shard order once they form a whole run; else a usage error naming the first problem. */
    static List<Part> complete(List<Part> parts) {
        if (parts.isEmpty()) throw new UsageException("merge needs at least one report");
        for (Part p : parts) {
            if (p.report().run().shard() == null && parts.size() > 1) {
                throw new UsageException(p.file() + ": not a shard (run.shard is null: a whole or merged run), so it"
                        + " cannot be merged with other reports");
            }
        }
        if (parts.getFirst().report().run().shard() == null) return parts;
        List<Part> sorted = new ArrayList<>(parts);
        sorted.sort(Comparator.comparingInt(p -> shard(p).index()));
        Part first = sorted.getFirst();
        int count = shard(first).count();
        for (Part p : sorted) {
            if (shard(p).count() != count) {
                throw new UsageException(p.file() + ": shard " + shard(p) + " is of a run in " + shard(p).count()
                        + " shards, " + first.file() + "'s " + shard(first) + " of one in " + count);
            }
            for (var field : SAME_RUN) {
                Object mine = field.value().apply(p.report()), theirs = field.value().apply(first.report());
                if (!Objects.equals(mine, theirs)) {
                    throw new UsageException(p.file() + ": " + field.name() + " " + mine + " differs from "
                            + first.file() + "'s " + theirs);
                }
            }
        }
        for (int i = 1; i < sorted.size(); i++) {
            if (shard(sorted.get(i)).index() == shard(sorted.get(i - 1)).index()) {
                throw new UsageException(sorted.get(i).file() + ": shard " + shard(sorted.get(i)) + " is given twice"
                        + " (also " + sorted.get(i - 1).file() + ")");
            }
        }
        for (int index = 1; index <= count; index++) {
            if (index > sorted.size() || shard(sorted.get(index - 1)).index() != index) {
                throw new UsageException("shard " + index + "/" + count + " is missing: merge needs every shard 1.."
                        + count + " of the run, each once");
            }
        }
        return sorted;
    }

    /** The report's run.shard (never null here), read as {@link Shard#parse} does but naming the file. */
    private static Shard shard(Part p) {
        String text = p.report().run().shard();
        try {
            return Shard.parse(text);
        } catch (UsageException e) {
            throw new UsageException(p.file() + ": run.shard is '" + text + "', expected I/N with 1 <= I <= N");
        }
    }
}
