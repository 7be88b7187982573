/*
 * Shared scaffolding for gregor's CUnit programs: one program per module, each
 * run in its own process by tests/run-tests under a time limit.
 *
 * Every program ends its output with one line
 *   == <name>: N passed, N failed
 * which tests/run-tests adds up into the suite's final count.
 */
#ifndef GREGOR_TESTS_TESTUTIL_H
#define GREGOR_TESTS_TESTUTIL_H

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>

/* Runs suites (a CU_SUITE_INFO_NULL-terminated array), prints CUnit's report
 * and the summary line. Returns the process exit status (0 = all passed). */
int test_main(const char *name, CU_SuiteInfo *suites);

/* Creates a fresh directory under $TMPDIR (or /tmp) named after tag.
 * Returns a malloc'd path; the caller frees it after test_rmtree(). */
char *test_tmpdir(const char *tag);
/* Removes a directory tree made by test_tmpdir(). */
void test_rmtree(const char *path);
/* How many entries of dir have names ending in suffix (0 if dir is gone). */
int test_count_files(const char *dir, const char *suffix);

/* A small deterministic PRNG (xorshift64*) so randomized tests can print and
 * replay their seed. */
uint64_t test_rand(uint64_t *state);
/* Seed from GREGOR_TEST_SEED if set, else from the clock; printed either way. */
uint64_t test_seed(const char *name);

#endif
