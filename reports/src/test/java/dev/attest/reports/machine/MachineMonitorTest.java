package dev.attest.reports.machine;

import dev.attest.reports.model.MachineState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MachineMonitorTest {
    @TempDir
    Path proc;

    /** /proc/stat's cpu line with the given user, idle and steal jiffies (the rest zero). */
    private void stat(long user, long idle, long steal) throws Exception {
        Files.writeString(proc.resolve("stat"), "cpu  " + user + " 0 0 " + idle + " 0 0 0 " + steal + " 0 0\n"
                + "cpu0 1 2 3 4 5 6 7 8 9 10\n");
        Files.writeString(proc.resolve("loadavg"), "1.50 0.80 0.40 3/456 7890\n");
        Files.writeString(proc.resolve("cpuinfo"), "processor\t: 0\nmodel name\t: Test CPU 9000\n");
    }

    @Test
    void aQuietMachineIsNotBusy() throws Exception {
        stat(1000, 1000, 0);
        long[] own = {0};
        MachineMonitor m = new MachineMonitor(proc, () -> own[0], 2, 0);
        // one second on 2 cores: 200 jiffies, of which this run used 100 and nobody else anything
        stat(1100, 1100, 0);
        own[0] = 100;
        m.sample();
        MachineState s = m.stop();
        assertEquals(0, s.othersCoresMean(), 1e-9);
        assertNull(s.busy(), s.busy());
        assertEquals("Test CPU 9000", s.cpuModel());
        assertEquals(List.of(1.5, 0.8, 0.4), s.loadBefore());
    }

    @Test
    void anotherBuildBesideTheRunIsSeenAndSaid() throws Exception {
        stat(1000, 1000, 0);
        long[] own = {0};
        MachineMonitor m = new MachineMonitor(proc, () -> own[0], 2, 0);
        stat(1180, 1020, 0);            // 200 jiffies: 180 busy, 30 of them this run's
        own[0] = 30;
        m.sample();
        MachineState s = m.stop();
        assertEquals(1.5, s.othersCoresMean(), 1e-9);
        assertNotNull(s.busy());
        assertTrue(s.busy().contains("other processes used 1.50 of 2 cores"), s.busy());
    }

    /** Samples {@code seconds} seconds on 2 cores (200 jiffies each) with others using {@code others} cores. */
    private void seconds(MachineMonitor m, long[] clock, int seconds, double others) throws Exception {
        for (int t = 0; t < seconds; t++) {
            clock[0] += (long) (others * 100);
            clock[1] += 200 - (long) (others * 100);
            stat(clock[0], clock[1], 0);
            m.sample();
        }
    }

    @Test
    void aSustainedBurstIsBusyButOneSecondIsNot() throws Exception {
        stat(0, 0, 0);
        long[] clock = {0, 0};
        MachineMonitor blip = new MachineMonitor(proc, () -> 0, 2, 0);
        seconds(blip, clock, 1, 1.6);                   // one second of 1.6 cores, then quiet
        seconds(blip, clock, 29, 0);
        MachineState s = blip.stop();
        assertNull(s.busy(), "one second in thirty is absorbed by the figures' intervals: " + s);
        assertEquals(0.16, s.othersCoresMax(), 1e-9, "1.6 core-seconds over the busiest 10 seconds");

        stat(0, 0, 0);
        clock[0] = clock[1] = 0;
        MachineMonitor build = new MachineMonitor(proc, () -> 0, 2, 0);
        seconds(build, clock, 10, 0.8);                 // ten seconds at 0.8 cores, thirty quiet: mean 0.2
        seconds(build, clock, 30, 0);
        MachineState b = build.stop();
        assertTrue(b.othersCoresMean() < 0.25, b.toString());
        assertEquals(0.8, b.othersCoresMax(), 1e-9);
        assertNotNull(b.busy(), "ten seconds at 0.8 cores distort the figures measured then");
        assertTrue(b.busy().contains("0.80 over the busiest 10 seconds"), b.busy());
    }

    @Test
    void stealIsBusy() {
        assertTrue(MachineMonitor.busy(12.0, 0.0, 0.0, null, 2).contains("CPU steal was 12.0%"));
        assertNull(MachineMonitor.busy(1.0, 0.1, 0.2, List.of(3.0, 3.0, 3.0), 2), "the load average is only a fallback");
        assertNotNull(MachineMonitor.busy(null, null, null, List.of(3.0, 3.0, 3.0), 2));
    }

    @Test
    void aProcessStatLineIsReadAfterItsCommandName() {
        // comm may hold spaces and parentheses: fields are counted after the last ')'
        String line = "4242 (java (worker) x) S 1 2 3 4 5 6 7 8 9 10 111 222 333 444 20 0 30 0 5 6 7";
        assertEquals(111 + 222 + 333 + 444, MachineMonitor.jiffiesOf(line));
    }

    @Test
    void theRealMachineCanBeWatched() {
        MachineMonitor monitor = MachineMonitor.start();
        // the kernel counts CPU time in jiffies: let a few pass, or there is no interval to judge
        for (long t = System.nanoTime(); System.nanoTime() - t < 80_000_000L; ) Thread.onSpinWait();
        MachineState s = monitor.stop();
        assertTrue(s.cores() > 0);
        if (Files.isReadable(Path.of("/proc/stat"))) {
            assertNotNull(s.loadBefore());
            assertNotNull(s.othersCoresMean());
        }
    }
}
