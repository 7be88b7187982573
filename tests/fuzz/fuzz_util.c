/*
 * Shared helpers of the fuzz targets (see fuzz_util.h).
 */
#include "tests/fuzz/fuzz_util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz invariant broken: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

void *fuzz_exact_copy(const void *p, size_t n)
{
    void *c = malloc(n ? n : 1);
    if (c && n)
        memcpy(c, p, n);
    return c;
}

/* Up to a few scratch directories per process, removed at exit. */
static char tmpdirs[4][512];
static int ntmpdirs;

static void remove_tmpdirs(void)
{
    for (int i = 0; i < ntmpdirs; i++)
        fs_remove_tree(tmpdirs[i]);
}

void fuzz_tmpdir(const char *tag, char *out, size_t outsz)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    if (ntmpdirs == (int)(sizeof(tmpdirs) / sizeof(tmpdirs[0])))
        fuzz_fail("too many scratch directories");
    char *t = tmpdirs[ntmpdirs];
    snprintf(t, sizeof(tmpdirs[0]), "%s/gregor-fuzz-%s-XXXXXX", base, tag);
    if (!mkdtemp(t))
        fuzz_fail("cannot create a directory like %s", t);
    if (ntmpdirs++ == 0)
        atexit(remove_tmpdirs);
    snprintf(out, outsz, "%s/log", t);
}

struct log_config fuzz_log_config(void)
{
    struct log_config c = {.segment_bytes = 1 << 30,
                           .segment_ms = INT64_MAX / 2,
                           .segment_index_bytes = 4096,
                           .index_interval_bytes = 256,
                           .retention_ms = -1,
                           .retention_bytes = -1,
                           .flush_messages = INT64_MAX,
                           .flush_ms = INT64_MAX,
                           .max_message_bytes = 1 << 20,
                           .timestamp_difference_max_ms = INT64_MAX,
                           .min_insync_replicas = 1,
                           .file_delete_delay_ms = 0};
    return c;
}
