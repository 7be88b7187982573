/*
 * CUnit runner and temp-dir helpers for the unit test programs.
 */
#include "tests/unit/testutil.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"

int test_main(const char *name, CU_SuiteInfo *suites)
{
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "%s: cannot initialise CUnit: %s\n", name, CU_get_error_msg());
        printf("== %s: 0 passed, 1 failed\n", name);
        return 1;
    }
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        fprintf(stderr, "%s: cannot register suites: %s\n", name, CU_get_error_msg());
        CU_cleanup_registry();
        printf("== %s: 0 passed, 1 failed\n", name);
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned run = CU_get_number_of_tests_run();
    unsigned failed = CU_get_number_of_tests_failed();
    /* A suite whose setup failed runs none of its tests: count them as failed
     * so a broken fixture can never look like a pass. */
    unsigned suite_fail = CU_get_number_of_suites_failed();
    CU_cleanup_registry();
    printf("\n== %s: %u passed, %u failed\n", name, run - failed, failed + suite_fail);
    fflush(stdout);
    return failed || suite_fail ? 1 : 0;
}

char *test_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof(tmpl), "%s/gregor-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    char *p = mkdtemp(tmpl);
    if (!p) {
        perror("mkdtemp");
        abort();
    }
    return strdup(p);
}

void test_rmtree(const char *path)
{
    fs_remove_tree(path);
}

uint64_t test_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

uint64_t test_seed(const char *name)
{
    const char *env = getenv("GREGOR_TEST_SEED");
    uint64_t seed;
    if (env && *env) {
        seed = strtoull(env, NULL, 0);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid();
    }
    if (!seed)
        seed = 1;
    printf("%s: seed %" PRIu64 " (replay with GREGOR_TEST_SEED=%" PRIu64 ")\n", name, seed, seed);
    return seed;
}

int test_count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t a = strlen(de->d_name), b = strlen(suffix);
        n += a > b && !strcmp(de->d_name + a - b, suffix);
    }
    if (d)
        closedir(d);
    return n;
}
