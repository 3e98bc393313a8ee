package dev.attest.reports;

import dev.attest.reports.golden.Golden;
import dev.attest.reports.golden.GoldenExport;
import dev.attest.reports.golden.GoldenException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "golden", mixinStandardHelpOptions = true,
        description = {"Golden vectors as NumPy files: NAME.npz (q, k, v, expected out, optional attn_mask) plus"
                + " NAME.json (shapes, scale, softcap, causal, layout BHSD or BSHD, keyLengths, atol, rtol), so a"
                + " backend can be checked against outputs of PyTorch or ONNX Runtime, and Attest's own cases exported"
                + " for other tools.",
                "Element types: without \"types\" every array is float32 (<f4, or <f8 read as float32; masks may be"
                        + " bool |b1). With \"types\": {\"q\": \"bf16\", \"k\": \"fp8_e4m3\", \"v\": \"fp8_e4m3\","
                        + " \"out\": \"bf16\"} (optional \"attn_mask\": fp32, fp16 or bf16) each array is stored"
                        + " in its type's dtype: fp16 <f2, bf16 <u2 (its bits: NumPy has no bf16), fp8_e4m3 and"
                        + " fp8_e5m2 |u1 (their bits); an fp8 tensor needs \"descales\": {\"k\": 0.5} (a number, one"
                        + " per head [..] or one per batch and head [[..], ..])."},
        subcommands = {GoldenCommand.Export.class, GoldenCommand.Check.class},
        footer = {"", "Examples:", "  ./attest golden export golden/", "  ./attest golden check golden/ --backend cpu-naive"})
public final class GoldenCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "golden needs a subcommand: export or check");
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Writes Attest's golden cases (inputs and the oracle's outputs) into DIR: float32 ones, and"
                    + " fp16, bf16 and bf16 over fp8 KV caches (E4M3 with a descale per head, E5M2 with one per"
                    + " tensor), whose expected output is the oracle's from the stored inputs, rounded to the"
                    + " output type, and whose atol/rtol is what a correct fp32-accumulating kernel needs (see"
                    + " docs/precision.md, \"Golden files\")."},
            footer = {"", "Example:", "  ./attest golden export golden/"})
    static final class Export implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR")
        Path dir;
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            int n = GoldenExport.export(dir);
            spec.commandLine().getOut().println("attest: " + n + " golden cases written to " + dir);
            return AttestCli.OK;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Checks backends against every golden case in DIR (NAME.npz + NAME.json): |out - expected|"
                    + " <= atol + rtol * |expected|, with atol and rtol from NAME.json; an expected NaN or infinity"
                    + " is met only by the same value. Each backend runs in a worker JVM of its own.",
                    "A typed case is handed to a backend in its own types (the stored bits, not widened) only when the"
                            + " backend declares that combination of types, else it is unsupported there; the"
                            + " output is compared in its type, and each line also gives the error in its ulps.",
                    "Exit code: 0 when every checked (case, backend) passes and at least one was checked; 1 for a"
                            + " failure, or when nothing could be checked; 2 when a case cannot be read (each such"
                            + " case is named, with the file and field or array, e.g. a dtype its JSON type does"
                            + " not allow; the others are still checked)."},
            footer = {"", "Example:", "  ./attest golden check golden/ --backend cpu-batched"})
    static final class Check implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR")
        Path dir;
        @Mixin
        CommonOptions common;
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            RunSettings settings = common.settings(common.seed(), Profile.QUICK.label(), null, null, null);
            try {
                Golden.caseNames(dir);    // a missing or empty directory is refused before any worker starts
                return GoldenCheck.run(dir, settings, common.selection(settings, spec.commandLine().getErr()),
                        spec.commandLine().getOut(), spec.commandLine().getErr()).exitCode();
            } catch (GoldenException e) {
                throw new UsageException(e.getMessage());
            }
        }
    }
}
