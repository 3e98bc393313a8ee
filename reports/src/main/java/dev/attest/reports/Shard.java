package dev.attest.reports;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Shard I of N of a run's work items. A work item is a (backend, property) or (backend, config) pair, named by a
 * key; it belongs to shard {@code 1 + crc32(key) mod N}. The partition depends on nothing but the key, so every
 * machine of a CI matrix computes the same one without talking to the others, and the shards' reports merge
 * into one equal to a single run's.
 */
public record Shard(int index, int count) {
    public static final Shard ALL = new Shard(1, 1);

    public Shard {
        if (count < 1 || index < 1 || index > count) {
            throw new UsageException("--shard must be I/N with 1 <= I <= N, got " + index + "/" + count);
        }
    }

    public static Shard parse(String text) {
        if (text == null) return ALL;
        String[] parts = text.split("/");
        try {
            if (parts.length != 2) throw new NumberFormatException();
            return new Shard(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
        } catch (NumberFormatException e) {
            throw new UsageException("--shard must be I/N (e.g. 2/4), got '" + text + "'");
        }
    }

    public boolean owns(String backend, String item) {
        if (count == 1) return true;
        CRC32 crc = new CRC32();
        crc.update((backend + "/" + item).getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % count) == index - 1;
    }

    public boolean whole() {
        return count == 1;
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}
