package dev.attest.reports;

import dev.attest.reference.ElementType;
import dev.attest.reports.model.BackendInfo;
import dev.attest.reports.model.ConfigInfo;
import dev.attest.reports.model.LatencyResult;
import dev.attest.reports.model.MeasurementIssue;
import dev.attest.reports.model.Roofline;
import dev.attest.reports.model.Status;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The roofline bound on a speed figure: a CPU backend cannot do more flops per second than the machine's measured
 * FMA peak (all cores), so a figure above it is not a fast backend but a wrong measurement or a backend that skips
 * work, and it is turned into a failed measurement instead of a speed figure. Inputs narrower than fp32 get headroom
 * for the dot-product instructions that retire more of them per cycle (2× for 16-bit types, as AVX512-BF16's
 * {@code vdpbf16ps}; 4× for fp8). A backend on another device ({@link BackendInfo#device()}) is not held to it.
 */
final class Plausibility {
    private Plausibility() {
    }

    record Judged(List<LatencyResult> kept, List<MeasurementIssue> implausible) {
    }

    static Judged judge(List<LatencyResult> latency, List<ConfigInfo> configs, List<BackendInfo> backends,
                        Roofline roofline) {
        if (roofline == null) return new Judged(latency, List.of());
        Map<String, ConfigInfo> byName = configs.stream().collect(Collectors.toMap(ConfigInfo::name, Function.identity(),
                (x, y) -> x));
        Map<String, String> device = backends.stream().collect(Collectors.toMap(BackendInfo::name,
                BackendInfo::device, (x, y) -> x));
        List<LatencyResult> kept = new ArrayList<>();
        List<MeasurementIssue> implausible = new ArrayList<>();
        for (LatencyResult l : latency) {
            ConfigInfo c = byName.get(l.config());
            double bound = c == null ? Double.POSITIVE_INFINITY : roofline.peakGflops() * headroom(c);
            double gflops = c == null ? 0 : c.flops() / (l.metric().center() * 1e6);
            if (!"cpu".equals(device.getOrDefault(l.backend(), "cpu")) || gflops <= bound) {
                kept.add(l);
                continue;
            }
            implausible.add(new MeasurementIssue(l.backend(), "latency:" + l.config(), Status.FAIL, String.format(
                    Locale.ROOT, "%s gets no speed figure on %s: %.4f ms is %.1f GFLOP/s, above the machine's measured"
                            + " FMA peak of %.1f GFLOP/s (x%.0f for its element types) on %d threads: the backend skips"
                            + " work or the timing is wrong", l.backend(), l.config(), l.metric().center(), gflops,
                    roofline.peakGflops(), headroom(c), roofline.threads())));
        }
        return new Judged(kept, implausible);
    }

    private static double headroom(ConfigInfo c) {
        int narrowest = 32;
        var t = c.tensorTypes();
        for (ElementType e : new ElementType[]{t.query(), t.key(), t.value()}) narrowest = Math.min(narrowest, e.bits());
        return narrowest <= 8 ? 4 : narrowest <= 16 ? 2 : 1;
    }
}
