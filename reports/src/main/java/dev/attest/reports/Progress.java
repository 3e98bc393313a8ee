package dev.attest.reports;

import java.io.PrintWriter;

/**
 * Progress of a long run on stderr: a redrawn bar on a terminal, plain lines when not on one or when CI=true
 * (so CI logs stay readable).
 */
public final class Progress {
    private final PrintWriter err;
    private final boolean bar;
    private final String task;
    private final int total;
    private int done;

    public Progress(PrintWriter err, String task, int total) {
        this.err = err;
        this.task = task;
        this.total = Math.max(total, 1);
        this.bar = System.console() != null && !"true".equalsIgnoreCase(System.getenv("CI"))
                && System.getenv("ATTEST_PLAIN_PROGRESS") == null;
    }

    public synchronized void step(String what) {
        done++;
        if (bar) {
            int width = 30;
            int filled = Math.min(width, done * width / total);
            err.print("\r" + task + " [" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + done + "/" + total
                    + " " + (what.length() > 40 ? what.substring(0, 40) : what) + "\u001b[K");
            if (done >= total) err.println();
        } else {
            err.println(task + " " + done + "/" + total + ": " + what);
        }
        err.flush();
    }

    public synchronized void finish() {
        if (bar && done < total) err.println();
        err.flush();
    }
}
