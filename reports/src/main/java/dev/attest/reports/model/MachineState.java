package dev.attest.reports.model;

import java.util.List;

/**
 * The machine as the timings saw it: what it is, and how busy it was with other work while this run measured.
 *
 * @param cpuModel        /proc/cpuinfo's model name (else the architecture)
 * @param vectorBits      the Java Vector API's preferred float width on this JVM (512 with AVX-512, 256 with AVX2;
 *                        0 when the module is absent)
 * @param cores           processors available to the JVM
 * @param jvmFlags        the CLI JVM's input arguments (worker and JMH fork JVMs add theirs: see run.bench)
 * @param loadBefore      1-, 5- and 15-minute load averages when the run began (null off Linux)
 * @param loadAfter       the same when it ended
 * @param stealPercent    CPU steal over the run, as a share of all CPU time (a virtual machine's host taking cycles)
 * @param othersCoresMean cores' worth of CPU time used by processes other than this run and its workers, averaged
 *                        over the run
 * @param othersCoresMax  the same over the busiest 10 seconds (the whole run when shorter)
 * @param busy            null when the machine was quiet enough; else why its timings may not be the code's speed
 */
public record MachineState(String cpuModel, int vectorBits, int cores, List<String> jvmFlags, List<Double> loadBefore,
                           List<Double> loadAfter, Double stealPercent, Double othersCoresMean, Double othersCoresMax,
                           String busy) {
}
