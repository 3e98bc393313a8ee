package dev.attest.reports.model;

/** Linear-attention error against softmax at m random features, with the Performer theory value. */
public record LinearErrorPoint(String backend, int features, double error, double theory) {
}
