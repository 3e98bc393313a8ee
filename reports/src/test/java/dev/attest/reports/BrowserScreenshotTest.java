package dev.attest.reports;

import dev.attest.reports.model.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Renders report.html in headless Chromium (Debian package chromium; .ci/run installs it) and checks that the
 * screenshot is not blank and the console shows no error. Skipped, with the reason, where Chromium is missing.
 */
class BrowserScreenshotTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @TempDir
    Path dir;

    @Test
    void theReportRendersInHeadlessChromiumWithoutConsoleErrors() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "skipped: " + CHROMIUM + " is missing (apt-get install chromium"
                + " chromium-driver; .ci/run does this)");
        System.setProperty("java.awt.headless", "true");
        ReportCommand.write(Fixtures.withFaults(Fixtures.report(0.001, 0.5, Status.FAIL, 0.5), Fixtures.faults(0)), dir);
        Path png = dir.resolve("shot.png");
        Path profile = Files.createDirectory(dir.resolve("chromium-profile"));
        Path log = dir.resolve("chromium.log");
        Process p = new ProcessBuilder(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
                "--hide-scrollbars", "--window-size=1200,2400", "--screenshot=" + png,
                dir.resolve("report.html").toUri().toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "chromium finished within 90 s");
        String output = Files.readString(log);
        assertEquals(0, p.exitValue(), output);
        List<String> consoleErrors = output.lines().filter(l -> l.contains("Uncaught") || l.contains("ERROR:CONSOLE")
                || (l.contains("CONSOLE") && (l.contains("Error") || l.contains("Failed to load")))).toList();
        assertTrue(consoleErrors.isEmpty(), "console errors: " + consoleErrors);

        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1200, image.getWidth());
        double sum = 0, sumSq = 0;
        int n = 0;
        for (int y = 0; y < image.getHeight(); y += 3) {
            for (int x = 0; x < image.getWidth(); x += 3) {
                int rgb = image.getRGB(x, y);
                double lum = 0.299 * (rgb >> 16 & 0xff) + 0.587 * (rgb >> 8 & 0xff) + 0.114 * (rgb & 0xff);
                sum += lum;
                sumSq += lum * lum;
                n++;
            }
        }
        double variance = sumSq / n - (sum / n) * (sum / n);
        assertTrue(variance > 100, "the screenshot is not blank (luminance variance " + variance + ")");
    }
}
