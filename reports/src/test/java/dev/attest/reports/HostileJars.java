package dev.attest.reports;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipEntry;

/**
 * Third-party backend jars built by the test itself: each is cpu-naive with one misbehaviour planted in
 * {@code attention} (or its constructor), compiled with the JDK's compiler against the test class path and packed
 * with its service file, so the CLI meets them exactly as it meets a user's jar.
 */
final class HostileJars {
    /** How each backend misbehaves: Java statements run in {@code attention} before (or instead of) the real call. */
    enum Misbehaviour {
        EXIT_ZERO("if (++calls == AFTER) System.exit(0);"),
        EXIT_THREE("if (++calls == AFTER) System.exit(3);"),
        OUT_OF_MEMORY("if (++calls == AFTER) { java.util.List<long[]> hog = new java.util.ArrayList<>();"
                + " while (true) hog.add(new long[1 << 20]); }"),
        HANG_IGNORING_INTERRUPTS("if (++calls == AFTER) { while (true) { try { Thread.sleep(100); }"
                + " catch (InterruptedException ignored) { } } }"),
        JVM_CRASH("if (++calls == AFTER) crash();"),
        THROW("throw new IllegalStateException(\"kernel launch failed: planted\");"),
        NAN("naive.attention(problem, out); out.data()[out.offset()] = Float.NaN; return;"),
        MUTATE_INPUT("naive.attention(problem, out); problem.query().data()[problem.query().offset()] += 1f; return;"),
        WRITE_OUTSIDE_VIEW("naive.attention(problem, out); float[] d = out.data(); d[d.length - 1] = 7f;"
                + " if (out.offset() > 0) d[0] = 7f; return;"),
        EXIT_IN_CONSTRUCTOR(""),
        /** A name that would climb out of an output directory if it became part of a file name. */
        PATH_IN_NAME(""),
        /** Not hostile: an honest backend that declares no feature at all and refuses every one it is asked for. */
        MINIMAL("capabilities().requireAll(name(), dev.attest.spi.Feature.requiredBy(problem, out));");

        final String statements;

        Misbehaviour(String statements) {
            this.statements = statements;
        }

        String backendName() {
            return "hostile-" + name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }

        String className() {
            StringBuilder out = new StringBuilder("Hostile");
            for (String part : name().toLowerCase(java.util.Locale.ROOT).split("_")) {
                out.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
            return out.toString();
        }
    }

    private HostileJars() {
    }

    static Path build(Path dir, Misbehaviour m) throws IOException {
        Path src = dir.resolve("src-" + m.className()), classes = dir.resolve("classes-" + m.className());
        Files.createDirectories(src.resolve("hostile"));
        Files.createDirectories(classes);
        Path file = src.resolve("hostile").resolve(m.className() + ".java");
        Files.writeString(file, source(m));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream messages = new ByteArrayOutputStream();
        int code = javac.run(null, messages, messages, "-proc:none", "-nowarn", "-cp",
                System.getProperty("java.class.path"), "-d", classes.toString(), file.toString());
        if (code != 0) throw new IllegalStateException("javac failed on " + m + ": " + messages);
        Path jar = dir.resolve(m.backendName() + ".jar");
        try (JarOutputStream zip = new JarOutputStream(Files.newOutputStream(jar))) {
            zip.putNextEntry(new ZipEntry("META-INF/services/dev.attest.spi.AttentionBackend"));
            zip.write(("hostile." + m.className() + "\n").getBytes());
            zip.closeEntry();
            try (var files = Files.walk(classes)) {
                for (Path c : files.filter(Files::isRegularFile).toList()) {
                    zip.putNextEntry(new ZipEntry(classes.relativize(c).toString().replace('\\', '/')));
                    zip.write(Files.readAllBytes(c));
                    zip.closeEntry();
                }
            }
        }
        return jar;
    }

    private static String source(Misbehaviour m) {
        String constructor = m == Misbehaviour.EXIT_IN_CONSTRUCTOR ? "System.exit(0);" : "";
        String capabilities = m == Misbehaviour.MINIMAL ? "new Capabilities(java.util.EnumSet.noneOf("
                + "dev.attest.spi.Feature.class), dev.attest.reference.Precision.FP32)" : "dev.attest.backends.naive.CpuNaiveBackend.FP32_CAPABILITIES";
        return """
                package hostile;

                import dev.attest.reference.AttentionProblem;
                import dev.attest.reference.Tensor;
                import dev.attest.spi.Capabilities;

                public final class %1$s implements dev.attest.spi.AttentionBackend {
                    private final dev.attest.backends.naive.CpuNaiveBackend naive =
                            new dev.attest.backends.naive.CpuNaiveBackend();
                    /** Which call misbehaves: late enough that a run has results to keep (settable for short runs). */
                    private static final int AFTER = Integer.getInteger("attest.hostile.after", 60);
                    private int calls;

                    public %1$s() { %2$s }

                    @Override public String name() { return "%3$s"; }

                    @Override public Capabilities capabilities() { return %5$s; }

                    @Override public void attention(AttentionProblem problem, Tensor out) {
                        if (problem != null) { %4$s }
                        naive.attention(problem, out);
                    }

                    @Override public void layer(dev.attest.reference.LayerProblem problem, Tensor out) {
                        capabilities().requireAll(name(), dev.attest.spi.Feature.requiredBy(problem));
                        naive.layer(problem, out);
                    }

                    private static void crash() {
                        try {
                            java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
                            f.setAccessible(true);
                            ((sun.misc.Unsafe) f.get(null)).putLong(0L, 42L);
                        } catch (ReflectiveOperationException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }
                """.formatted(m.className(), constructor, m == Misbehaviour.PATH_IN_NAME ? "../../escaped"
                : m.backendName(), m.statements, capabilities);
    }

    /** Runs the real CLI in a JVM of its own (its exit code is the process's), with a small heap. */
    static Cli runCli(Path workDir, List<String> args) throws IOException, InterruptedException {
        return runCli(workDir, List.of(), args);
    }

    /** The same, with extra JVM options (e.g. {@code -Dattest.hostile.after=N}: the call that misbehaves). */
    static Cli runCli(Path workDir, List<String> jvmOptions, List<String> args) throws IOException,
            InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m"));
        command.addAll(jvmOptions);
        command.addAll(List.of(
                "--add-modules", "jdk.incubator.vector", "-Djava.awt.headless=true", "-Djmh.ignoreLock=true",
                "-cp", System.getProperty("java.class.path"), AttestCli.class.getName()));
        command.addAll(args);
        Path out = workDir.resolve("cli-out.txt"), err = workDir.resolve("cli-err.txt");
        Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        if (!p.waitFor(8, java.util.concurrent.TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the CLI did not finish in 8 minutes: " + args);
        }
        return new Cli(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
