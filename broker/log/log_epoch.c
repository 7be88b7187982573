/*
 * Leader epoch cache (see log_epoch.h).
 */
#include "broker/log/log_epoch.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "broker/log/log_checkpoint.h"
#include "common/buf.h"
#include "common/err.h"

void log_epoch_init(struct log_epoch *c)
{
    memset(c, 0, sizeof(*c));
}

void log_epoch_destroy(struct log_epoch *c)
{
    free(c->e);
    log_epoch_init(c);
}

int32_t log_epoch_latest(const struct log_epoch *c)
{
    return c->n ? c->e[c->n - 1].epoch : -1;
}

int log_epoch_assign(struct log_epoch *c, int32_t epoch, int64_t start_offset)
{
    if (epoch < 0)
        return 0;
    if (c->n && c->e[c->n - 1].epoch == epoch && c->e[c->n - 1].start_offset <= start_offset)
        return 0;
    while (c->n && (c->e[c->n - 1].epoch >= epoch || c->e[c->n - 1].start_offset >= start_offset))
        c->n--;
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 4;
        struct log_epoch_entry *e = realloc(c->e, (size_t)cap * sizeof(*e));
        if (!e)
            return GR_E_NOMEM;
        c->e = e;
        c->cap = cap;
    }
    c->e[c->n++] = (struct log_epoch_entry){epoch, start_offset};
    return 1;
}

void log_epoch_end_offset(const struct log_epoch *c, int32_t epoch, int64_t log_end,
                          int32_t *found_epoch, int64_t *end_offset)
{
    *found_epoch = -1;
    *end_offset = -1;
    for (int i = c->n - 1; i >= 0; i--) {
        if (c->e[i].epoch <= epoch) {
            *found_epoch = c->e[i].epoch;
            *end_offset = i == c->n - 1 ? log_end : c->e[i + 1].start_offset;
            return;
        }
    }
}

bool log_epoch_truncate_from_end(struct log_epoch *c, int64_t offset)
{
    int n = c->n;
    while (c->n && c->e[c->n - 1].start_offset >= offset)
        c->n--;
    return n != c->n;
}

bool log_epoch_truncate_from_start(struct log_epoch *c, int64_t offset)
{
    int drop = 0;
    while (drop + 1 < c->n && c->e[drop + 1].start_offset <= offset)
        drop++;
    bool changed = drop > 0;
    if (drop) {
        memmove(c->e, c->e + drop, (size_t)(c->n - drop) * sizeof(*c->e));
        c->n -= drop;
    }
    if (c->n && c->e[0].start_offset < offset) {
        c->e[0].start_offset = offset;
        changed = true;
    }
    return changed;
}

void log_epoch_format(const struct log_epoch *c, struct buf *b)
{
    log_checkpoint_header(b, (size_t)c->n);
    for (int i = 0; i < c->n; i++)
        buf_printf(b, "%" PRId32 " %" PRId64 "\n", c->e[i].epoch, c->e[i].start_offset);
}

static void add_pair(int64_t epoch, int64_t offset, void *ctx)
{
    struct log_epoch *c = ctx;
    if (epoch >= 0 && epoch <= INT32_MAX && offset >= 0)
        log_epoch_assign(c, (int32_t)epoch, offset);
}

int log_epoch_parse(struct log_epoch *c, const char *text, size_t len)
{
    c->n = 0;
    int rc = log_checkpoint_parse_pairs(text, len, add_pair, c);
    if (rc)
        c->n = 0;
    return rc;
}
