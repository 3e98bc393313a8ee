package dev.attest.backends.cuda;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The committed fatbin ({@code src/main/resources/dev/attest/backends/cuda/attention.fatbin}) must be what the
 * current kernel source compiles to, and the kernels must not spill.
 *
 * <ul>
 *   <li>Always (no nvcc needed): the stamp committed beside the fatbin records the SHA-256 of attention.cu and
 *       nvcc.args it was built from; a source edit without a rebuild fails here.</li>
 *   <li>With nvcc on the PATH: scripts/cuda/build-fatbin.sh builds into target/cuda (reusing the Maven profile's
 *       build when its stamp matches); the bytes must equal the committed fatbin (nvcc's output is deterministic)
 *       and ptxas -v must report 0 spill stores and loads for every kernel on sm_80 and sm_90.</li>
 * </ul>
 * If this fails: run {@code scripts/cuda/build-fatbin.sh --commit} and commit the fatbin and its stamp.
 */
class FatbinFreshnessTest {
    static final Path SOURCES = Path.of("src/main/cuda");
    static final Path COMMITTED = Path.of("src/main/resources/dev/attest/backends/cuda/attention.fatbin");
    static final Path STAMP = Path.of("src/main/resources/dev/attest/backends/cuda/attention.fatbin.stamp");
    static final Path BUILT = Path.of("target/cuda");
    static final List<String> KERNELS = List.of("naive_scores", "naive_softmax", "naive_pv", "flash_forward",
            "decode_partial", "decode_combine", "linear_chunked");

    private static String nvccVersion;          // null when nvcc is not on the PATH
    private static String buildFailure;

    @BeforeAll
    static void buildWhenNvccIsPresent() throws Exception {
        nvccVersion = nvccVersion();
        if (nvccVersion == null) return;
        ProcessBuilder pb = new ProcessBuilder("bash", "../scripts/cuda/build-fatbin.sh", BUILT.toString())
                .redirectErrorStream(true);
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) buildFailure = log;
        System.out.print(log);
    }

    private static String nvccVersion() {
        try {
            Process p = new ProcessBuilder("nvcc", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor() == 0 ? out.lines().reduce((a, b) -> b).orElse("").trim() : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    static String sourcesHash() throws IOException, NoSuchAlgorithmException {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(Files.readAllBytes(SOURCES.resolve("attention.cu")));
        sha.update(Files.readAllBytes(SOURCES.resolve("nvcc.args")));
        return HexFormat.of().formatHex(sha.digest());
    }

    @Test
    void committedStampMatchesTheKernelSources() throws Exception {
        assertTrue(Files.exists(COMMITTED), COMMITTED + " is missing");
        List<String> stamp = Files.readAllLines(STAMP);
        assertEquals("sources " + sourcesHash(), stamp.get(0),
                "attention.cu or nvcc.args changed since the committed fatbin was built; run "
                        + "scripts/cuda/build-fatbin.sh --commit");
    }

    @Test
    void committedFatbinIsWhatNvccBuildsNow() throws Exception {
        assumeTrue(nvccVersion != null, "nvcc is not on the PATH: the committed fatbin cannot be rebuilt here");
        assertNull(buildFailure, () -> "nvcc failed:\n" + buildFailure);
        String committedNvcc = Files.readAllLines(STAMP).get(1);
        assumeTrue(committedNvcc.equals("nvcc " + nvccVersion), "the committed fatbin was built by " + committedNvcc
                + ", this machine has nvcc " + nvccVersion + ": bytes are only comparable with the same nvcc");
        assertArrayEquals(Files.readAllBytes(COMMITTED), Files.readAllBytes(BUILT.resolve("attention.fatbin")),
                "the committed fatbin is stale: run scripts/cuda/build-fatbin.sh --commit");
    }

    /** One kernel on one arch, from ptxas -v. */
    record Usage(String kernel, String arch, int registers, int staticShared, int spillStores, int spillLoads) {
    }

    static List<Usage> parse(String log) {
        List<Usage> usages = new ArrayList<>();
        Pattern entry = Pattern.compile("Compiling entry function '(\\w+)' for '(sm_\\d+)'");
        Pattern spills = Pattern.compile("(\\d+) bytes spill stores, (\\d+) bytes spill loads");
        Pattern used = Pattern.compile("Used (\\d+) registers(?:.*?, (\\d+) bytes smem)?");
        String kernel = null, arch = null;
        int stores = -1, loads = -1;
        for (String line : log.lines().toList()) {
            Matcher m;
            if ((m = entry.matcher(line)).find()) {
                kernel = m.group(1);
                arch = m.group(2);
            } else if ((m = spills.matcher(line)).find()) {
                stores = Integer.parseInt(m.group(1));
                loads = Integer.parseInt(m.group(2));
            } else if ((m = used.matcher(line)).find() && kernel != null) {
                int smem = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
                usages.add(new Usage(kernel, arch, Integer.parseInt(m.group(1)), smem, stores, loads));
                kernel = null;
            }
        }
        return usages;
    }

    @Test
    void kernelsDoNotSpillOnSm80OrSm90() throws Exception {
        assumeTrue(nvccVersion != null, "nvcc is not on the PATH: ptxas resource usage cannot be checked here");
        assertNull(buildFailure, () -> "nvcc failed:\n" + buildFailure);
        List<Usage> usages = parse(Files.readString(BUILT.resolve("ptxas.log")));
        Map<String, Usage> byKey = new LinkedHashMap<>();
        for (Usage u : usages) byKey.put(u.kernel() + "@" + u.arch(), u);
        System.out.printf("%-16s %-6s %9s %12s %12s %11s%n", "kernel", "arch", "registers", "static smem",
                "spill stores", "spill loads");
        for (Usage u : usages) {
            System.out.printf("%-16s %-6s %9d %12d %12d %11d%n", u.kernel(), u.arch(), u.registers(),
                    u.staticShared(), u.spillStores(), u.spillLoads());
        }
        for (String arch : List.of("sm_80", "sm_90")) {
            for (String kernel : KERNELS) {
                Usage u = byKey.get(kernel + "@" + arch);
                assertNotNull(u, "ptxas reported nothing for " + kernel + " on " + arch);
                assertEquals(0, u.spillStores(), kernel + " spills stores on " + arch);
                assertEquals(0, u.spillLoads(), kernel + " spills loads on " + arch);
                assertTrue(u.registers() <= 128, kernel + " uses " + u.registers() + " registers on " + arch
                        + "; 128-thread blocks need at most 128 to keep 4 blocks per SM");
            }
        }
    }

    @Test
    void parserReadsPtxasOutput() {
        String log = """
                ptxas info    : Compiling entry function 'flash_forward' for 'sm_90'
                ptxas info    : Function properties for flash_forward
                    0 bytes stack frame, 8 bytes spill stores, 4 bytes spill loads
                ptxas info    : Used 96 registers, used 1 barriers, 32 bytes smem
                """;
        assertEquals(List.of(new Usage("flash_forward", "sm_90", 96, 32, 8, 4)), parse(log));
    }
}
