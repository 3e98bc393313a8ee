/**
 * The planted-bug catalog ({@link dev.attest.faults.Catalog}) and the kill matrix
 * ({@link dev.attest.faults.KillMatrix}) that checks every mutant is killed by at least one property of its kit.
 *
 * <p>Main code of a module of its own, not test code and not part of {@code attest-properties}: the {@code attest}
 * CLI runs the matrix for the report's fault-detection section (it cannot see test classes), while the conformance
 * kit that users depend on stays free of planted bugs and of the built-in backends they are made from. No mutant is
 * listed in {@code META-INF/services}: they are reached only through the catalog. See the module's README.md.
 */
package dev.attest.faults;
