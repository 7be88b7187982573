/*
 * The check of the librdkafka C test programs (rdkafka_client.c,
 * rdkafka_group.c): a failed condition prints one line and is counted in
 * the program's `failures`, which decides its exit status.
 */
#ifndef GREGOR_TESTS_RDKAFKA_CHECK_H
#define GREGOR_TESTS_RDKAFKA_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            fprintf(stderr, "check failed: %s: ", #cond);                                          \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
        }                                                                                          \
    } while (0)

#endif
