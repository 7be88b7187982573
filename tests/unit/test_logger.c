/*
 * Client text in logs: escaping (non-printables and the backslash as \xNN,
 * bounded, cut with "...") and the per-call-site line budget with its
 * "suppressed N similar lines" summary.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/logger.h"
#include "tests/unit/testutil.h"

static void test_escape(void)
{
    char out[64];
    CU_ASSERT_STRING_EQUAL(logger_escape("rdkafka", 7, out, sizeof(out)), "rdkafka");
    CU_ASSERT_STRING_EQUAL(logger_escape("a\nb", 3, out, sizeof(out)), "a\\x0ab");
    CU_ASSERT_STRING_EQUAL(logger_escape("\x1b[31mred", 8, out, sizeof(out)), "\\x1b[31mred");
    CU_ASSERT_STRING_EQUAL(logger_escape("back\\slash", 10, out, sizeof(out)), "back\\x5cslash");
    CU_ASSERT_STRING_EQUAL(logger_escape("nul\0x", 5, out, sizeof(out)), "nul\\x00x");
    CU_ASSERT_STRING_EQUAL(logger_escape("\xc3\xa9", 2, out, sizeof(out)), "\\xc3\\xa9");
    CU_ASSERT_STRING_EQUAL(logger_escape(NULL, 0, out, sizeof(out)), "(null)");
    CU_ASSERT_STRING_EQUAL(logger_escape("", 0, out, sizeof(out)), "");

    /* Exactly fitting needs no dots; one more byte is cut with "...". */
    char small[6];
    CU_ASSERT_STRING_EQUAL(logger_escape("abcde", 5, small, sizeof(small)), "abcde");
    CU_ASSERT_STRING_EQUAL(logger_escape("abcdef", 6, small, sizeof(small)), "ab...");
    /* An escape is never cut in half. */
    CU_ASSERT_STRING_EQUAL(logger_escape("a\n\n\n", 4, small, sizeof(small)), "a...");
    char tiny[3];
    CU_ASSERT_STRING_EQUAL(logger_escape("abcdef", 6, tiny, sizeof(tiny)), "..");

    /* A long client.id is bounded by the buffer. */
    char big[1000], esc[LOGGER_ESCAPED_SIZE(64)];
    memset(big, '\n', sizeof(big));
    logger_escape(big, sizeof(big), esc, sizeof(esc));
    CU_ASSERT_TRUE(strlen(esc) < sizeof(esc));
    CU_ASSERT_EQUAL(strcmp(esc + strlen(esc) - 3, "..."), 0);
    CU_ASSERT_PTR_NULL(strchr(esc, '\n'));
}

static int lines_in(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int n = 0;
    while (f && fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return n;
}

/* One call site, so one budget. */
static void flood(int n)
{
    for (int i = 0; i < n; i++)
        LOG_RATE(LOGGER_WARN, "flood line %d", i);
}

static void test_rate_limit(void)
{
    char path[] = "/tmp/gregor-test-logger-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    logger_set_fd(fd);
    /* Within one second: LOGGER_RATE_LINES lines, the rest dropped. */
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (t.tv_nsec > 800000000) /* do not straddle a second */
        usleep(250000);
    flood(1000);
    CU_ASSERT_EQUAL(lines_in(path, "flood line"), LOGGER_RATE_LINES);
    /* Another call site has its own budget. */
    LOG_RATE(LOGGER_WARN, "other kind %d", 1);
    CU_ASSERT_EQUAL(lines_in(path, "other kind"), 1);
    /* The next second: the summary first, then the line. */
    sleep(1);
    flood(1000);
    CU_ASSERT_EQUAL(lines_in(path, "suppressed 990 lines like \"flood line %d\""), 1);
    CU_ASSERT_EQUAL(lines_in(path, "flood line"), 2 * LOGGER_RATE_LINES + 1);
    /* A flood that stops is reported by the flush, once its second is over. */
    logger_rate_flush();
    CU_ASSERT_EQUAL(lines_in(path, "suppressed 990 lines"), 1);
    sleep(1);
    logger_rate_flush();
    logger_rate_flush();
    CU_ASSERT_EQUAL(lines_in(path, "suppressed 990 lines"), 2);
    logger_set_fd(2);
    close(fd);
    unlink(path);
}

/* A persisting condition: one line per interval, counting what it stands for. */
static void test_every_interval(void)
{
    struct logger_every e = {0};
    uint64_t n = 0;
    CU_ASSERT_TRUE(logger_every_due(&e, 100.0, 10.0, 1, &n)); /* the first is due at once */
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_FALSE(logger_every_due(&e, 101.0, 10.0, 3, &n));
    CU_ASSERT_FALSE(logger_every_due(&e, 109.9, 10.0, 0, &n));
    CU_ASSERT_TRUE(logger_every_due(&e, 110.0, 10.0, 2, &n)); /* 3 + 0 + 2 since the last */
    CU_ASSERT_EQUAL(n, 5);
    CU_ASSERT_TRUE(logger_every_due(&e, 125.0, 10.0, 0, &n)); /* due with nothing counted */
    CU_ASSERT_EQUAL(n, 0);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"client text is escaped and bounded", test_escape},
        {"lines a client can cause are rate-limited, with a summary", test_rate_limit},
        {"a persisting condition is logged once per interval", test_every_interval},
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {{"logger", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return test_main("test_logger", suites);
}
