/**
 * JMH benchmarks of the backends. Build with {@code ./build -pl benchmarks -am package -DskipTests}, run with
 * {@code java -jar benchmarks/target/benchmarks.jar -h}. Benchmarks report ratios measured side by side in one
 * run: this machine is shared and noisy, absolute figures alone mean little.
 */
package dev.attest.benchmarks;
