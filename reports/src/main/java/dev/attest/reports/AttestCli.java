package dev.attest.reports;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code attest} command line. Exit codes: 0 conforms (or no regression), 1 a failure or regression, 2 bad usage
 * or input.
 */
@Command(name = "attest", mixinStandardHelpOptions = true, versionProvider = AttestCli.Version.class,
        description = "Proves attention implementations correct and measures their speed.",
        subcommands = {CheckCommand.class, BenchCommand.class, ReportCommand.class, FaultsCommand.class,
                CompareCommand.class, MergeCommand.class, GoldenCommand.class, WorkerCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Examples:", "  ./attest report                      check, measure and report every CPU backend",
                "  ./attest check --backend cpu-naive   conformance of one backend",
                "  ./attest faults                      does every property still catch its planted bugs?",
                "  ./attest compare base.json new.json  the CI gate",
                "", "Exit codes: 0 conforms, 1 failure or regression, 2 bad usage or input."})
public final class AttestCli implements Runnable {
    public static final int OK = 0, FAILED = 1, USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs one command line with the given streams and returns its exit code (for tests and main). */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new AttestCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            Throwable cause = e;
            while (cause.getCause() != null && !(cause instanceof UsageException) && !(cause instanceof RunFailure)) {
                cause = cause.getCause();
            }
            if (cause instanceof RunFailure) {
                commandLine.getErr().println("attest: " + cause.getMessage());
                commandLine.getErr().flush();
                return FAILED;
            }
            if (cause instanceof UsageException) {
                commandLine.getErr().println("attest: " + cause.getMessage());
                commandLine.getErr().flush();
                return USAGE;
            }
            commandLine.getErr().println("attest: internal error: " + e);
            e.printStackTrace(commandLine.getErr());
            commandLine.getErr().flush();
            return FAILED;
        });
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("attest: " + e.getMessage() + " (try --help)");
            e.getCommandLine().getErr().flush();
            return USAGE;
        });
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"attest " + dev.attest.reports.model.AttestVersion.get()};
        }
    }
}
