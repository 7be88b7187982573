/*
 * What every part of gregor-dump-log uses (dump_log.h): stopping as Kafka's
 * tool dies, the reports printed at the end of a run, and file names. Kept
 * apart from dump_log_main.c so the parts depend on it and main on them,
 * never the other way round.
 */
#include "tools/dump_log.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Noreturn void dl_die(const char *cls, const char *detail, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fflush(stdout);
    /* The JVM's uncaught-exception line; a null message has no colon. */
    fprintf(stderr, "Exception in thread \"main\" %s%s%s\n", cls, *msg ? ": " : "", msg);
    if (detail)
        fprintf(stderr, "%s\n", detail);
    exit(1);
}

/* --- the closing reports -------------------------------------------------- */

struct report_file {
    char *path;
    struct dl_pair *pairs;
    size_t n, cap;
};

static struct report_file *reports[DL_REPORTS];
static size_t nreports[DL_REPORTS];

void dl_report_add(enum dl_report r, const char *path, int64_t a, int64_t b)
{
    struct report_file *f = NULL;
    for (size_t k = 0; k < nreports[r]; k++)
        if (!strcmp(reports[r][k].path, path))
            f = &reports[r][k];
    if (!f) {
        struct report_file *grown = realloc(reports[r], sizeof(*grown) * (nreports[r] + 1));
        if (!grown || !(grown[nreports[r]].path = strdup(path)))
            dl_die("java.lang.OutOfMemoryError", NULL, "the report");
        reports[r] = grown;
        f = &grown[nreports[r]++];
        f->pairs = NULL;
        f->n = f->cap = 0;
    }
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        struct dl_pair *grown = realloc(f->pairs, sizeof(*grown) * cap);
        if (!grown)
            dl_die("java.lang.OutOfMemoryError", NULL, "the report");
        f->pairs = grown;
        f->cap = cap;
    }
    f->pairs[f->n++] = (struct dl_pair){a, b};
}

/* Kafka keeps the offset index mismatches and the non-consecutive offsets
 * in Scala Lists it prepends to (printed newest first) and the time index
 * errors in ArrayBuffers (printed in order). */
void dl_print_reports(void)
{
    static const char *const title[DL_REPORTS] = {
        [DL_INDEX_MISMATCH] = "Mismatches in :%s\n",
        [DL_TIME_MISMATCH] = "Found timestamp mismatch in :%s\n",
        [DL_TIME_OUT_OF_ORDER] = "Found out of order timestamp in :%s\n",
        [DL_TIME_NOT_FOUND] = "The following indexed offsets are not found in the log.\n",
        [DL_NON_CONSECUTIVE] = "Non-consecutive offsets in %s\n",
    };
    static const char *const line[DL_REPORTS] = {
        [DL_INDEX_MISMATCH] = "  Index offset: %" PRId64 ", log offset: %" PRId64 "\n",
        [DL_TIME_MISMATCH] = "  Index timestamp: %" PRId64 ", log timestamp: %" PRId64 "\n",
        [DL_TIME_OUT_OF_ORDER] =
            "  Index timestamp: %" PRId64 ", Previously indexed timestamp: %" PRId64 "\n",
        [DL_TIME_NOT_FOUND] = "Indexed offset: %" PRId64 ", found log offset: %" PRId64 "\n",
        [DL_NON_CONSECUTIVE] = "  %" PRId64 " is followed by %" PRId64 "\n",
    };
    fflush(stdout);
    for (int r = 0; r < DL_REPORTS; r++) {
        bool reversed = r == DL_INDEX_MISMATCH || r == DL_NON_CONSECUTIVE;
        for (size_t k = 0; k < nreports[r]; k++) {
            struct report_file *f = &reports[r][k];
            fprintf(stderr, title[r], f->path);
            for (size_t i = 0; i < f->n; i++) {
                struct dl_pair *p = &f->pairs[reversed ? f->n - 1 - i : i];
                fprintf(stderr, line[r], p->a, p->b);
            }
            free(f->pairs);
            free(f->path);
        }
        free(reports[r]);
    }
}

/* --- file names --------------------------------------------------------- */

const char *dl_base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int64_t dl_base_offset(const char *path)
{
    const char *name = dl_base_name(path);
    size_t n = strcspn(name, ".");
    char digits[32] = "";
    bool ok = n > 0 && n < sizeof(digits);
    if (ok) {
        memcpy(digits, name, n);
        char *end;
        errno = 0;
        long long v = strtoll(digits, &end, 10);
        if (!*end && !errno &&
            (digits[0] == '-' || digits[0] == '+' || (digits[0] >= '0' && digits[0] <= '9')))
            return v;
    }
    dl_die("java.lang.NumberFormatException", NULL, "For input string: \"%.*s\"", (int)n, name);
}

char *dl_sibling(const char *path, const char *sfx)
{
    const char *name = dl_base_name(path);
    size_t dir = (size_t)(name - path), n = strcspn(name, ".");
    char *s = malloc(dir + n + strlen(sfx) + 1);
    if (!s)
        dl_die("java.lang.OutOfMemoryError", NULL, "a file name");
    memcpy(s, path, dir + n);
    strcpy(s + dir + n, sfx);
    return s;
}

char *dl_abs(const char *path)
{
    char cwd[PATH_MAX];
    if (path[0] == '/' || !getcwd(cwd, sizeof(cwd))) {
        char *s = strdup(path);
        if (!s)
            dl_die("java.lang.OutOfMemoryError", NULL, "a file name");
        return s;
    }
    size_t n = strlen(cwd) + strlen(path) + 2;
    char *s = malloc(n);
    if (!s)
        dl_die("java.lang.OutOfMemoryError", NULL, "a file name");
    snprintf(s, n, "%s/%s", cwd, path);
    return s;
}
