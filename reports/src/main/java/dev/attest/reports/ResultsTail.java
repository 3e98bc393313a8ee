package dev.attest.reports;

import dev.attest.reports.model.ReportJson;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a worker's results file as it grows: complete lines only (a worker killed mid-line leaves a partial last
 * line, which is not a result), each one {@link WorkerEvent}. A line that is not one is reported, not skipped.
 */
final class ResultsTail {
    private final Path file;
    private final List<WorkerEvent> events = new ArrayList<>();
    private byte[] partial = new byte[0];
    private long offset;
    private boolean done;
    private String corrupt;

    ResultsTail(Path file) {
        this.file = file;
    }

    /** The events completed since the last call. */
    List<WorkerEvent> read() {
        List<WorkerEvent> fresh = new ArrayList<>();
        if (done || corrupt != null) return fresh;
        byte[] bytes;
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long length = in.length();
            if (length <= offset) return fresh;
            bytes = new byte[(int) Math.min(length - offset, 1 << 24)];
            in.seek(offset);
            in.readFully(bytes);
            offset += bytes.length;
        } catch (IOException e) {
            return fresh;                                       // not there yet, or gone with a dying worker
        }
        // split on the newline byte, so a multi-byte character cut by a read is decoded whole on the next one
        byte[] all = java.util.Arrays.copyOf(partial, partial.length + bytes.length);
        System.arraycopy(bytes, 0, all, partial.length, bytes.length);
        int start = 0;
        for (int i = 0; i < all.length && !done && corrupt == null; i++) {
            if (all[i] != '\n') continue;
            String line = new String(all, start, i - start, StandardCharsets.UTF_8);
            start = i + 1;
            if (line.isBlank()) continue;
            try {
                WorkerEvent event = ReportJson.MAPPER.readValue(line, WorkerEvent.class);
                events.add(event);
                fresh.add(event);
                if (WorkerEvent.DONE.equals(event.kind())) done = true;
            } catch (RuntimeException e) {
                corrupt = "its results file is corrupt at result " + (events.size() + 1)
                        + " (something in the worker JVM wrote to it)";
            }
        }
        partial = java.util.Arrays.copyOfRange(all, start, all.length);
        return fresh;
    }

    List<WorkerEvent> events() {
        return events;
    }

    boolean done() {
        return done;
    }

    String corrupt() {
        return corrupt;
    }
}
