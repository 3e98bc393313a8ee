package dev.attest.reports.model;

import java.net.InetAddress;

/** The machine, JVM and versions a run used (STYLE.md: output records the run's conditions). */
public record Environment(String machine, String os, String arch, int cores, long maxHeapMiB, String jvm,
                          String jvmVersion, String attestVersion) {

    public static Environment current() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = System.getenv().getOrDefault("HOSTNAME", "unknown");
        }
        Runtime rt = Runtime.getRuntime();
        return new Environment(host, System.getProperty("os.name") + " " + System.getProperty("os.version"),
                System.getProperty("os.arch"), rt.availableProcessors(), rt.maxMemory() >> 20,
                System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name"),
                System.getProperty("java.runtime.version"), AttestVersion.get());
    }
}
