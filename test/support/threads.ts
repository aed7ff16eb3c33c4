/**
 * DuckDB threads for the runs, syntheses and databases the tests start. The
 * suite runs two files at once on a two-core machine, and the crash tests
 * run two CLI runs at once besides: a thread per core each would ask for two
 * to three times the cores there are, and a test's small world gains little
 * from a second thread. A 1,500-person run alone took 11.2-11.6 s and
 * 14.4-15.2 s of CPU with two threads, 9.9-11.2 s and 11.6-13.5 s of CPU
 * with one; three at once 27.7 and 28.2 s with two threads each, 23.5 and
 * 19.6 s with one. Results do not depend on it: test/run/resources.test.ts
 * and demo-run's second run compare one thread with two.
 */
export const TEST_THREADS = 1;
/** The `resources:` section of a test's study config: TEST_THREADS. */
export const TEST_RESOURCES_YAML = `resources:\n  threads: ${TEST_THREADS}\n`;
