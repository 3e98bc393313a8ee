package dev.attest.reports.html;

import dev.attest.reports.model.MachineState;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The machine as the timings saw it, as the page shows it: a banner when it was busy enough to distort timings, and
 * rows for the environment table (CPU, vector width, cores, JVM flags, load and steal before and after, other
 * processes' CPU use).
 *
 * @param banner null when the machine was quiet (or the report predates machine state), else the warning
 * @param rows   label and value
 */
record MachineSection(String banner, List<String[]> rows) {

    static MachineSection of(MachineState m) {
        if (m == null) return new MachineSection(null, List.of());
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"CPU", m.cpuModel()});
        rows.add(new String[]{"vector width", m.vectorBits() == 0 ? "unknown (no Vector API in the CLI JVM)"
                : m.vectorBits() + " bits (Java Vector API preferred float species)"});
        rows.add(new String[]{"threads", m.cores() + " available processors"});
        rows.add(new String[]{"JVM flags", m.jvmFlags().isEmpty() ? "(none)" : String.join(" ", m.jvmFlags())});
        rows.add(new String[]{"load average before / after (1, 5, 15 min)", load(m.loadBefore()) + " / "
                + load(m.loadAfter())});
        rows.add(new String[]{"CPU steal during the run", m.stealPercent() == null ? "unknown"
                : String.format(Locale.ROOT, "%.1f%%", m.stealPercent())});
        rows.add(new String[]{"other processes' CPU during the run", m.othersCoresMean() == null ? "unknown"
                : String.format(Locale.ROOT, "%.2f cores on average, %.2f over the busiest 10 seconds", m.othersCoresMean(),
                m.othersCoresMax())});
        String banner = m.busy() == null ? null : "The machine was busy: " + m.busy() + ". Timings in this report may"
                + " not be the code's speed; rerun on a quiet machine before comparing them.";
        return new MachineSection(banner, rows);
    }

    private static String load(List<Double> load) {
        return load == null ? "unknown" : load.stream().map(v -> String.format(Locale.ROOT, "%.2f", v))
                .collect(Collectors.joining(", "));
    }
}
