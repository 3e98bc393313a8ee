package dev.attest.reports.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.attest.faults.FaultDetection;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Attest's result model, written as report.json (schema documented in docs/report-schema.md). Every list is kept in
 * a canonical order (see {@link #canonical()}), so a report merged from shards equals a single-machine run's.
 *
 * @param schemaVersion   {@link #SCHEMA_VERSION}; readers refuse any other
 * @param environment     where it ran (machine, cores, JVM, OS, Attest version)
 * @param run             how it ran (command, profile, seed, tries, shard, benchmark settings)
 * @param backends        every backend the run saw, with availability
 * @param configs         the workload configurations the accuracy and latency sections refer to
 * @param conformance     one cell per (backend, property)
 * @param accuracy        one entry per (backend, config): error against the oracle, and its allowance
 * @param latency         one entry per (backend, config) of a backend that conforms: JMH's primary metric
 * @param calibration     a fixed plain-Java workload measured in the same run (compare divides by it), or null
 * @param kvCache         KV-cache decode against recomputation, by backend and cached length
 * @param linearAttention linear-attention error against feature count m, by backend, variant, length and m
 * @param faultDetection  the kill matrix of the planted-bug catalog (a mutant per row, a property per cell), or null
 *                        when the run did not include it (absent from the JSON then; added in schema version 1 as an
 *                        optional field, so older readers ignore it)
 * @param measurementIssues the measurements not taken: workloads a backend does not declare (unsupported) and those
 *                        it failed on (a failure of the report); absent from the JSON when empty
 * @param performance     what the speed figures are read against (the run's FMA roofline, the baseline backend);
 *                        absent when nothing was timed (added to schema version 1 as an optional field)
 */
public record Report(int schemaVersion, Environment environment, RunInfo run, List<BackendInfo> backends,
                     List<ConfigInfo> configs, List<PropertyResult> conformance, List<AccuracyResult> accuracy,
                     List<LatencyResult> latency, Metric calibration, List<KvCachePoint> kvCache,
                     List<LinearErrorPoint> linearAttention,
                     @JsonInclude(JsonInclude.Include.NON_NULL) FaultDetection faultDetection,
                     @JsonInclude(JsonInclude.Include.NON_EMPTY) List<MeasurementIssue> measurementIssues,
                     @JsonInclude(JsonInclude.Include.NON_NULL) Performance performance) {

    public static final int SCHEMA_VERSION = 1;

    public Report {
        backends = nonNull(backends);
        configs = nonNull(configs);
        conformance = nonNull(conformance);
        accuracy = nonNull(accuracy);
        latency = nonNull(latency);
        kvCache = nonNull(kvCache);
        linearAttention = nonNull(linearAttention);
        measurementIssues = nonNull(measurementIssues);
    }

    /** A report without a performance section. */
    public Report(int schemaVersion, Environment environment, RunInfo run, List<BackendInfo> backends,
                  List<ConfigInfo> configs, List<PropertyResult> conformance, List<AccuracyResult> accuracy,
                  List<LatencyResult> latency, Metric calibration, List<KvCachePoint> kvCache,
                  List<LinearErrorPoint> linearAttention, FaultDetection faultDetection,
                  List<MeasurementIssue> measurementIssues) {
        this(schemaVersion, environment, run, backends, configs, conformance, accuracy, latency, calibration, kvCache,
                linearAttention, faultDetection, measurementIssues, null);
    }

    /** A report without measurement issues. */
    public Report(int schemaVersion, Environment environment, RunInfo run, List<BackendInfo> backends,
                  List<ConfigInfo> configs, List<PropertyResult> conformance, List<AccuracyResult> accuracy,
                  List<LatencyResult> latency, Metric calibration, List<KvCachePoint> kvCache,
                  List<LinearErrorPoint> linearAttention, FaultDetection faultDetection) {
        this(schemaVersion, environment, run, backends, configs, conformance, accuracy, latency, calibration, kvCache,
                linearAttention, faultDetection, List.of());
    }

    /** A report without a fault-detection section. */
    public Report(int schemaVersion, Environment environment, RunInfo run, List<BackendInfo> backends,
                  List<ConfigInfo> configs, List<PropertyResult> conformance, List<AccuracyResult> accuracy,
                  List<LatencyResult> latency, Metric calibration, List<KvCachePoint> kvCache,
                  List<LinearErrorPoint> linearAttention) {
        this(schemaVersion, environment, run, backends, configs, conformance, accuracy, latency, calibration, kvCache,
                linearAttention, null);
    }

    /** This report with {@code faultDetection} as its fault-detection section (null: none). */
    public Report withFaultDetection(FaultDetection faultDetection) {
        return new Report(schemaVersion, environment, run, backends, configs, conformance, accuracy, latency,
                calibration, kvCache, linearAttention, faultDetection, measurementIssues, performance);
    }

    /** This report with {@code issues} as its measurement issues. */
    public Report withMeasurementIssues(List<MeasurementIssue> issues) {
        return new Report(schemaVersion, environment, run, backends, configs, conformance, accuracy, latency,
                calibration, kvCache, linearAttention, faultDetection, issues, performance);
    }

    /** This report with {@code performance} as its performance section. */
    public Report withPerformance(Performance performance) {
        return new Report(schemaVersion, environment, run, backends, configs, conformance, accuracy, latency,
                calibration, kvCache, linearAttention, faultDetection, measurementIssues, performance);
    }

    private static <T> List<T> nonNull(List<T> list) {
        return list == null ? List.of() : List.copyOf(list);
    }

    /**
     * The same report with every list sorted by its key and duplicates (same key) dropped. The fault-detection
     * section is kept as it is: it comes whole from one run (mutants in catalog order, cells by property name).
     */
    public Report canonical() {
        return new Report(schemaVersion, environment, run,
                sortedUnique(backends, Comparator.comparing(BackendInfo::name), BackendInfo::name),
                sortedUnique(configs, Comparator.comparing(ConfigInfo::name), ConfigInfo::name),
                sortedUnique(conformance, Comparator.comparing(PropertyResult::backend)
                        .thenComparing(PropertyResult::property), r -> r.backend() + "\u0000" + r.property()),
                sortedUnique(accuracy, Comparator.comparing(AccuracyResult::backend)
                        .thenComparing(AccuracyResult::config), r -> r.backend() + "\u0000" + r.config()),
                sortedUnique(latency, Comparator.comparing(LatencyResult::backend)
                        .thenComparing(LatencyResult::config), r -> r.backend() + "\u0000" + r.config()),
                calibration,
                sortedUnique(kvCache, Comparator.comparing(KvCachePoint::backend)
                        .thenComparingInt(KvCachePoint::length), p -> p.backend() + "\u0000" + p.length()),
                sortedUnique(linearAttention, Comparator.comparing(LinearErrorPoint::backend)
                        .thenComparing(LinearErrorPoint::variant).thenComparingInt(LinearErrorPoint::length)
                        .thenComparingInt(LinearErrorPoint::features),
                        p -> p.backend() + "\u0000" + p.variant() + "\u0000" + p.length() + "\u0000" + p.features()),
                faultDetection,
                sortedUnique(measurementIssues, Comparator.comparing(MeasurementIssue::backend)
                        .thenComparing(MeasurementIssue::item), i -> i.backend() + "\u0000" + i.item()),
                performance);
    }

    private static <T> List<T> sortedUnique(List<T> list, Comparator<T> order, java.util.function.Function<T, String> key) {
        List<T> sorted = new ArrayList<>(list);
        sorted.sort(order);
        List<T> out = new ArrayList<>();
        String last = null;
        for (T t : sorted) {
            String k = key.apply(t);
            if (!k.equals(last)) out.add(t);
            last = k;
        }
        return out;
    }

    /** Failed properties plus failed measurements: either makes the run red. */
    public long failures() {
        return conformance.stream().filter(r -> r.status() == Status.FAIL).count()
                + measurementIssues.stream().filter(i -> i.status() == Status.FAIL).count();
    }

    /** The planted bugs that no property killed (none when the report has no fault-detection section). */
    public List<FaultDetection.MutantResult> survivingMutants() {
        return faultDetection == null ? List.of() : faultDetection.survivors();
    }

    /** Whether {@code backend} failed no property in this report. */
    public boolean conforms(String backend) {
        return conformance.stream().noneMatch(r -> r.backend().equals(backend) && r.status() == Status.FAIL);
    }

    /** The measurement issues that are failures. */
    public List<MeasurementIssue> failedMeasurements() {
        return measurementIssues.stream().filter(i -> i.status() == Status.FAIL).toList();
    }
}
