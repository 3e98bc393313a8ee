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
        description = {"Golden vectors as NumPy files: NAME.npz (q, k, v, expected out, optional attn_mask; float32"
                + " or float64, bool masks) plus NAME.json (shapes, scale, softcap, causal, layout BHSD or BSHD,"
                + " keyLengths, atol, rtol), so a backend can be checked against outputs of PyTorch or ONNX Runtime,"
                + " and Attest's own cases exported for other tools."},
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
            description = "Writes Attest's golden cases (inputs and the oracle's outputs) into DIR.",
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
                    "Exit code: 0 when every checked (case, backend) passes and at least one was checked; 1 for a"
                            + " failure, or when nothing could be checked; 2 when a case cannot be read (each such"
                            + " case is named; the others are still checked)."},
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
