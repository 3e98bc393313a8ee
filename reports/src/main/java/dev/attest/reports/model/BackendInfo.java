package dev.attest.reports.model;

/** A backend the run saw: its declared precision, and why it could not run here when it could not. */
public record BackendInfo(String name, String description, String precision, boolean available,
                          String unavailableReason) {
}
