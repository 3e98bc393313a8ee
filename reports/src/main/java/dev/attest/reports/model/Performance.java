package dev.attest.reports.model;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * What a report's speed figures are read against, and the speed series that are not per configuration: the machine's
 * FMA roofline measured in the same run, the backend every other backend's speed is given as a ratio to, the state
 * of the machine while the run measured, and linear against softmax attention as the sequence grows.
 *
 * @param roofline    the fp32 FMA peak of this run (null when nothing was timed)
 * @param baseline    the named baseline backend ({@code --baseline}; by default onnxruntime when it was measured, else
 *                    cpu-naive)
 * @param machine     CPU, vector width, cores, JVM flags, load and steal before and after, other processes' CPU use,
 *                    and whether the machine was busy enough to distort timings (absent in older reports)
 * @param lengthSweep latency and approximation error of each linear backend and of the softmax backend against
 *                    sequence length (absent when not measured)
 */
public record Performance(Roofline roofline, String baseline,
                          @JsonInclude(JsonInclude.Include.NON_NULL) MachineState machine,
                          @JsonInclude(JsonInclude.Include.NON_EMPTY) List<LengthSweepPoint> lengthSweep) {

    public Performance {
        lengthSweep = lengthSweep == null ? List.of() : List.copyOf(lengthSweep);
    }

    public Performance(Roofline roofline, String baseline) {
        this(roofline, baseline, null, List.of());
    }

    public Performance withMachine(MachineState state) {
        return new Performance(roofline, baseline, state, lengthSweep);
    }

    public Performance withLengthSweep(List<LengthSweepPoint> points) {
        return new Performance(roofline, baseline, machine, points);
    }
}
