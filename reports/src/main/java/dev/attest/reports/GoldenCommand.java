package dev.attest.reports;

import dev.attest.reports.golden.Golden;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "golden", mixinStandardHelpOptions = true,
        description = {"Golden vectors as NumPy files: NAME.npz (q, k, v, expected out; float32, BHSD) plus NAME.json"
                + " (options), so a backend can be checked against outputs of PyTorch or ONNX Runtime, and Attest's"
                + " own cases exported for other tools."},
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
            int n = Golden.export(dir);
            spec.commandLine().getOut().println("attest: " + n + " golden cases written to " + dir);
            return AttestCli.OK;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Checks backends against every golden case in DIR (NAME.npz + NAME.json): |out - expected|"
                    + " <= atol + rtol * |expected|, with atol and rtol from NAME.json.",
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
            return Golden.check(dir, common.availableBackends(spec.commandLine().getErr()), spec.commandLine().getOut()) ? AttestCli.OK : AttestCli.FAILED;
        }
    }
}
