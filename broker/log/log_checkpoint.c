/*
 * Checkpoint file text (see log_checkpoint.h).
 */
#include "broker/log/log_checkpoint.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"

void log_checkpoint_header(struct buf *b, size_t count)
{
    buf_printf(b, "0\n%zu\n", count);
}

void log_checkpoint_topic_line(struct buf *b, const char *topic, int32_t partition,
                               int64_t offset)
{
    buf_printf(b, "%s %" PRId32 " %" PRId64 "\n", topic, partition, offset);
}

/* A cursor over lines of the file. */
struct lines {
    const char *p, *end;
};

static bool next_line(struct lines *l, char *out, size_t outsz)
{
    if (l->p >= l->end)
        return false;
    const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
    size_t n = nl ? (size_t)(nl - l->p) : (size_t)(l->end - l->p);
    if (n >= outsz)
        return false;
    memcpy(out, l->p, n);
    out[n] = '\0';
    l->p += n + (nl ? 1 : 0);
    return true;
}

static bool parse_i64(const char *s, int64_t *v)
{
    char *end;
    if (!*s)
        return false;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *v = x;
    return true;
}

/* Reads the version and count lines. */
static int read_header(struct lines *l, int64_t *count)
{
    char line[64];
    int64_t version;
    if (!next_line(l, line, sizeof(line)) || !parse_i64(line, &version) || version != 0)
        return GR_E_CORRUPT;
    if (!next_line(l, line, sizeof(line)) || !parse_i64(line, count) || *count < 0)
        return GR_E_CORRUPT;
    return 0;
}

/* Splits "a b [c]" into fields; returns the count. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (n == max)
            return max + 1;
        f[n++] = t;
    }
    return n;
}

/* Validates the whole file, then (deliver=true) runs the callback per line. */
static int parse(const char *text, size_t len, int fields, log_checkpoint_topic_cb tcb,
                 log_checkpoint_pair_cb pcb, void *ctx, bool deliver)
{
    struct lines l = {text, text + len};
    int64_t count;
    int rc = read_header(&l, &count);
    if (rc)
        return rc;
    char line[512];
    for (int64_t i = 0; i < count; i++) {
        char *f[3];
        int64_t a, b;
        if (!next_line(&l, line, sizeof(line)) || split(line, f, 3) != fields)
            return GR_E_CORRUPT;
        if (fields == 3) {
            if (!parse_i64(f[1], &a) || a < 0 || a > INT32_MAX || !parse_i64(f[2], &b))
                return GR_E_CORRUPT;
            if (deliver)
                tcb(f[0], (int32_t)a, b, ctx);
        } else {
            if (!parse_i64(f[0], &a) || !parse_i64(f[1], &b))
                return GR_E_CORRUPT;
            if (deliver)
                pcb(a, b, ctx);
        }
    }
    /* Anything but trailing blank lines after the entries means a bad count. */
    while (next_line(&l, line, sizeof(line)))
        if (line[0])
            return GR_E_CORRUPT;
    return l.p < l.end ? GR_E_CORRUPT : 0;
}

int log_checkpoint_parse_topics(const char *text, size_t len, log_checkpoint_topic_cb cb,
                                void *ctx)
{
    int rc = parse(text, len, 3, cb, NULL, ctx, false);
    return rc ? rc : parse(text, len, 3, cb, NULL, ctx, true);
}

int log_checkpoint_parse_pairs(const char *text, size_t len, log_checkpoint_pair_cb cb,
                               void *ctx)
{
    int rc = parse(text, len, 2, NULL, cb, ctx, false);
    return rc ? rc : parse(text, len, 2, NULL, cb, ctx, true);
}
