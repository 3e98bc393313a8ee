package dev.attest.reports.model;

/**
 * A backend the run saw: its declared precision, the device it runs on, and why it could not run here when it could
 * not.
 *
 * @param device {@code cpu} or another processor ({@code cuda}); absent in older reports: cpu
 */
public record BackendInfo(String name, String description, String precision, boolean available,
                          String unavailableReason, String device) {
    public BackendInfo {
        if (device == null) device = "cpu";
    }

    public BackendInfo(String name, String description, String precision, boolean available, String unavailableReason) {
        this(name, description, precision, available, unavailableReason, "cpu");
    }
}
