package dev.attest.reports.machine;

import dev.attest.reports.model.MachineState;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * Watches the machine while a run measures: CPU time of the whole machine against that of this process and its
 * descendants (the worker and JMH fork JVMs), sampled every second from /proc, so that another build running beside
 * the report is seen and said.
 *
 * <p>Busy means: other processes used more than {@value #BUSY_MEAN_CORES} of a core on average or more than
 * {@value #BUSY_PEAK_CORES} over the busiest {@value #WINDOW_SECONDS} seconds (long enough to distort a figure's
 * samples, where a one-second blip is absorbed by its interval), or CPU steal exceeded {@value #BUSY_STEAL_PCT}% of
 * CPU time.
 * This run's own CPU time includes its children's once they exit (the kernel adds a reaped child's time to its
 * parent's cutime), so a worker that ends between samples is not mistaken for someone else's work.
 */
public final class MachineMonitor {
    static final double BUSY_MEAN_CORES = 0.25, BUSY_PEAK_CORES = 0.5, BUSY_STEAL_PCT = 5;
    static final int WINDOW_SECONDS = 10;

    private final Path proc;
    private final LongSupplier ownJiffies;
    private final int cores;
    private final List<Double> loadBefore;
    private final CpuTimes start;
    private CpuTimes last;
    /** The snapshots of the last {@value #WINDOW_SECONDS} samples, oldest first: the busiest window's start. */
    private final java.util.ArrayDeque<CpuTimes> window = new java.util.ArrayDeque<>();
    private double peakOthers;
    private final Thread sampler;
    private volatile boolean running = true;

    MachineMonitor(Path proc, LongSupplier ownJiffies, int cores, long intervalMillis) {
        this.proc = proc;
        this.ownJiffies = ownJiffies;
        this.cores = cores;
        this.loadBefore = loadAverage(proc);
        this.start = CpuTimes.read(proc, ownJiffies);
        this.last = start;
        this.sampler = Thread.ofPlatform().daemon().name("attest-machine-monitor").unstarted(() -> {
            while (running) {
                try {
                    Thread.sleep(intervalMillis);
                } catch (InterruptedException e) {
                    return;
                }
                sample();
            }
        });
        if (start != null && intervalMillis > 0) sampler.start();
    }

    /** Starts watching this machine (nothing is read off Linux: the state then says so). */
    public static MachineMonitor start() {
        Path proc = Path.of("/proc");
        return new MachineMonitor(proc, () -> ownTreeJiffies(proc), Runtime.getRuntime().availableProcessors(), 1000);
    }

    synchronized void sample() {
        CpuTimes now = CpuTimes.read(proc, ownJiffies);
        if (now == null || last == null) return;
        window.addLast(last);
        if (window.size() > WINDOW_SECONDS) window.removeFirst();
        if (window.size() == WINDOW_SECONDS) peakOthers = Math.max(peakOthers, othersCores(window.getFirst(), now));
        last = now;
    }

    /** Stops watching and says what was seen. */
    public MachineState stop() {
        running = false;
        sampler.interrupt();
        sample();
        List<Double> loadAfter = loadAverage(proc);
        Double steal = null, mean = null, peak = null;
        synchronized (this) {
            if (start != null && last != null && last.total() > start.total()) {
                steal = 100.0 * (last.steal() - start.steal()) / (last.total() - start.total());
                mean = othersCores(start, last);
                peak = Math.max(peakOthers, mean);          // a run shorter than the window: its mean
            }
        }
        return new MachineState(cpuModel(proc), vectorBits(), cores,
                ManagementFactory.getRuntimeMXBean().getInputArguments(), loadBefore, loadAfter, steal, mean, peak,
                busy(steal, mean, peak, loadBefore, cores));
    }

    /** The busy rule (see the class comment); null when quiet. */
    static String busy(Double steal, Double mean, Double peak, List<Double> loadBefore, int cores) {
        if (mean != null && (mean > BUSY_MEAN_CORES || peak > BUSY_PEAK_CORES)) {
            return String.format(Locale.ROOT, "other processes used %.2f of %d cores on average while this run"
                    + " measured (%.2f over the busiest %d seconds)", mean, cores, peak, WINDOW_SECONDS);
        }
        if (steal != null && steal > BUSY_STEAL_PCT) {
            return String.format(Locale.ROOT, "CPU steal was %.1f%% of CPU time: the host took cycles from this"
                    + " machine", steal);
        }
        if (mean == null && loadBefore != null && loadBefore.getFirst() > 0.5 * cores) {
            return String.format(Locale.ROOT, "the 1-minute load average was %.2f on %d cores when the run began",
                    loadBefore.getFirst(), cores);
        }
        return null;
    }

    private double othersCores(CpuTimes from, CpuTimes to) {
        long total = to.total() - from.total();
        if (total <= 0) return 0;
        long others = (to.busy() - from.busy()) - (to.own() - from.own());
        return Math.max(0, (double) others / total * cores);
    }

    /** Jiffies of the whole machine (all CPUs), its busy part, its steal, and this run's own CPU time. */
    record CpuTimes(long total, long busy, long steal, long own) {
        static CpuTimes read(Path proc, LongSupplier own) {
            try {
                String line = Files.readAllLines(proc.resolve("stat")).getFirst();
                long[] f = Arrays.stream(line.trim().split("\\s+")).skip(1).mapToLong(Long::parseLong).toArray();
                // user nice system idle iowait irq softirq steal [guest guest_nice: already inside user and nice]
                long idle = f[3] + (f.length > 4 ? f[4] : 0);
                long total = 0;
                for (int i = 0; i < Math.min(f.length, 8); i++) total += f[i];
                long steal = f.length > 7 ? f[7] : 0;
                return new CpuTimes(total, total - idle, steal, own.getAsLong());
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }

    /** utime + stime + cutime + cstime of one /proc/PID/stat line (fields 14–17, counted after the "(comm)"). */
    static long jiffiesOf(String statLine) {
        String[] rest = statLine.substring(statLine.lastIndexOf(')') + 2).trim().split("\\s+");
        // rest[0] is field 3 (state), so field n is rest[n - 3]
        return Long.parseLong(rest[11]) + Long.parseLong(rest[12]) + Long.parseLong(rest[13]) + Long.parseLong(rest[14]);
    }

    private static long ownTreeJiffies(Path proc) {
        long sum = 0;
        List<ProcessHandle> tree = new ArrayList<>();
        tree.add(ProcessHandle.current());
        try (Stream<ProcessHandle> d = ProcessHandle.current().descendants()) {
            d.forEach(tree::add);
        }
        for (ProcessHandle p : tree) {
            try {
                sum += jiffiesOf(Files.readString(proc.resolve(Long.toString(p.pid())).resolve("stat")));
            } catch (IOException | RuntimeException e) {
                // it exited between listing and reading: its time is in its parent's cutime by the next sample
            }
        }
        return sum;
    }

    static List<Double> loadAverage(Path proc) {
        try {
            String[] f = Files.readString(proc.resolve("loadavg")).trim().split("\\s+");
            return List.of(Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static String cpuModel(Path proc) {
        try (Stream<String> lines = Files.lines(proc.resolve("cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse(System.getProperty("os.arch"));
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }

    private static int vectorBits() {
        try {
            return dev.attest.benchmarks.FmaPeakBenchmark.vectorBits();
        } catch (LinkageError e) {         // the CLI JVM runs without jdk.incubator.vector
            return 0;
        }
    }
}
