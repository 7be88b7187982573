/*
 * libFuzzer target for the text files a log dir keeps beside the logs: the
 * three offset checkpoints (recovery-point-offset-checkpoint,
 * log-start-offset-checkpoint, replication-offset-checkpoint), a partition's
 * leader-epoch-checkpoint and meta.properties.
 *
 * Input: one mode byte, then the file's text.
 *   mode % 4 == 0: log_checkpoint_parse_topics() alone;
 *   mode % 4 == 1: log_checkpoint_parse_pairs() and log_epoch_parse();
 *   mode % 4 == 2: the text is one of the offset checkpoints ((mode / 4) % 3
 *                  picks which) of a log dir holding partitions t-0, t-1 and
 *                  u-0, opened with log_manager_open() (after a clean
 *                  shutdown when (mode / 12) is odd);
 *   mode % 4 == 3: the text is that log dir's meta.properties.
 *
 * Beyond what the sanitizers catch, it aborts when a parse that fails still
 * delivered entries, when what parsed does not format and parse back to the
 * same entries, when the leader epoch cache breaks its ordering, or when an
 * opened log's offsets leave their bounds (log start and recovery point
 * within [0, log end], the high watermark within [log start, log end]), or
 * when an append to such a log fails without a reason or lands elsewhere
 * than at its end.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/log/log_checkpoint.h"
#include "broker/log/log_epoch.h"
#include "broker/log/log_manager.h"
#include "common/buf.h"
#include "common/fsutil.h"
#include "common/logger.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/unit/testbatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ENTRIES 4096

struct entry {
    char topic[512];
    int32_t partition;
    int64_t a, b;
};

struct entries {
    struct entry *e;
    size_t n;
};

static void add_topic(const char *topic, int32_t partition, int64_t offset, void *ctx)
{
    struct entries *es = ctx;
    if (es->n == MAX_ENTRIES)
        return;
    struct entry *e = &es->e[es->n++];
    size_t len = strlen(topic);
    if (len >= sizeof(e->topic))
        fuzz_fail("checkpoint: a topic of %zu bytes came out of a 512-byte line", len);
    memcpy(e->topic, topic, len + 1);
    e->partition = partition;
    e->a = offset;
}

static void add_pair(int64_t a, int64_t b, void *ctx)
{
    struct entries *es = ctx;
    if (es->n == MAX_ENTRIES)
        return;
    es->e[es->n++] = (struct entry){.a = a, .b = b};
}

static void topics(const char *text, size_t len)
{
    static struct entry e1[MAX_ENTRIES], e2[MAX_ENTRIES];
    struct entries a = {e1, 0}, b = {e2, 0};
    int rc = log_checkpoint_parse_topics(text, len, add_topic, &a);
    if (rc && a.n)
        fuzz_fail("checkpoint: a malformed file delivered %zu entries", a.n);
    if (rc || a.n == MAX_ENTRIES)
        return;
    struct buf out;
    buf_init(&out);
    log_checkpoint_header(&out, a.n);
    for (size_t i = 0; i < a.n; i++)
        log_checkpoint_topic_line(&out, a.e[i].topic, a.e[i].partition, a.e[i].a);
    if (log_checkpoint_parse_topics((const char *)out.data, out.len, add_topic, &b) || b.n != a.n)
        fuzz_fail("checkpoint: the rewritten file does not parse back (%zu entries)", a.n);
    for (size_t i = 0; i < a.n; i++)
        if (strcmp(a.e[i].topic, b.e[i].topic) || a.e[i].partition != b.e[i].partition ||
            a.e[i].a != b.e[i].a)
            fuzz_fail("checkpoint: entry %zu changed when rewritten", i);
    buf_destroy(&out);
}

static void check_epochs(const struct log_epoch *c)
{
    for (int i = 0; i < c->n; i++) {
        if (c->e[i].epoch < 0 || c->e[i].start_offset < 0)
            fuzz_fail("leader epochs: entry %d is negative", i);
        if (i > 0 && (c->e[i].epoch <= c->e[i - 1].epoch ||
                      c->e[i].start_offset <= c->e[i - 1].start_offset))
            fuzz_fail("leader epochs: entry %d does not follow entry %d", i, i - 1);
    }
}

static void pairs(const char *text, size_t len)
{
    static struct entry e1[MAX_ENTRIES];
    struct entries a = {e1, 0};
    int rc = log_checkpoint_parse_pairs(text, len, add_pair, &a);
    if (rc && a.n)
        fuzz_fail("epoch checkpoint: a malformed file delivered %zu entries", a.n);

    struct log_epoch c, c2;
    log_epoch_init(&c);
    log_epoch_init(&c2);
    rc = log_epoch_parse(&c, text, len);
    if (rc && c.n)
        fuzz_fail("epoch checkpoint: a malformed file left %d entries", c.n);
    check_epochs(&c);
    struct buf out;
    buf_init(&out);
    log_epoch_format(&c, &out);
    if (log_epoch_parse(&c2, (const char *)out.data, out.len) || c2.n != c.n ||
        (c.n && memcmp(c.e, c2.e, (size_t)c.n * sizeof(*c.e))))
        fuzz_fail("epoch checkpoint: the cache does not survive a rewrite (%d entries)", c.n);
    buf_destroy(&out);

    /* What the log does with the cache after loading it. */
    if (c.n) {
        int64_t leo = c.e[c.n - 1].start_offset + 1, start = c.e[0].start_offset + 1;
        int32_t ep;
        int64_t end;
        log_epoch_end_offset(&c, c.e[c.n - 1].epoch, leo, &ep, &end);
        if (ep != c.e[c.n - 1].epoch || end != leo)
            fuzz_fail("leader epochs: the latest epoch does not end at the log end");
        log_epoch_truncate_from_end(&c, leo - 1);
        log_epoch_truncate_from_start(&c, start);
        check_epochs(&c);
    }
    log_epoch_destroy(&c);
    log_epoch_destroy(&c2);
}

/* One log dir, reused by every run of modes 2 and 3. */
static char dir[PATH_MAX];

static void write_file(const char *name, const char *text, size_t len)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    if (fs_write_file_atomic(p, text, len, false))
        fuzz_fail("cannot write %s", p);
}

static void manager(const char *file, bool clean, const char *text, size_t len)
{
    static const char *const parts[] = {"t-0", "t-1", "u-0"};
    fs_remove_tree(dir);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/%s", dir, parts[i]);
        if (fs_mkdirs(p))
            fuzz_fail("cannot create %s", p);
    }
    write_file(file, text, len);
    if (clean)
        write_file(".kafka_cleanshutdown", "", 0);

    struct log_config cfg = fuzz_log_config();
    const char *dirs[] = {dir};
    struct log_manager_opts o = {.dirs = dirs,
                                 .ndirs = 1,
                                 .broker_id = -1,
                                 .retention_check_interval_ms = 300000,
                                 .recovery_checkpoint_interval_ms = 60000,
                                 .start_checkpoint_interval_ms = 60000,
                                 .hw_checkpoint_interval_ms = 5000,
                                 .defaults = &cfg};
    struct log_manager *mgr;
    char err[512];
    if (log_manager_open(&o, 1000, &mgr, err, sizeof(err)))
        return; /* refused with a reason (a bad meta.properties) */
    struct log *l;
    int n = 0;
    for (size_t it = 0; (l = log_manager_next(mgr, &it)); n++) {
        int64_t leo = log_end_offset(l);
        if (l->log_start_offset < 0 || l->log_start_offset > leo || l->recovery_point < 0 ||
            l->recovery_point > leo || l->high_watermark < l->log_start_offset ||
            l->high_watermark > leo)
            fuzz_fail("%s-%d: log start %" PRId64 ", recovery point %" PRId64
                      ", high watermark %" PRId64 ", log end %" PRId64,
                      l->topic, l->partition, l->log_start_offset, l->recovery_point,
                      l->high_watermark, leo);
        /* The log takes appends where the checkpoints left it, or refuses
         * them with a reason. */
        struct buf b;
        buf_init(&b);
        struct testbatch_opts to = {.count = 2, .value_size = 8, .timestamp = 1000};
        testbatch_build(&b, &to);
        struct log_append_info info;
        char why[256] = "";
        int rc = log_append_leader(l, b.data, b.len, 1, 1000, &info, why, sizeof(why));
        if (rc ? !why[0] : info.first_offset != leo || log_end_offset(l) != leo + 2)
            fuzz_fail("%s-%d: an append at %" PRId64 " gave %d (%s), log end %" PRId64,
                      l->topic, l->partition, leo, rc, why, log_end_offset(l));
        buf_destroy(&b);
    }
    if (n != 3)
        fuzz_fail("opened %d logs of 3", n);
    log_manager_close(mgr, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const ckpts[] = {"recovery-point-offset-checkpoint",
                                        "log-start-offset-checkpoint",
                                        "replication-offset-checkpoint"};
    if (size < 1)
        return 0;
    if (!dir[0]) {
        logger_set_level(LOGGER_ERROR);
        fuzz_tmpdir("checkpoint", dir, sizeof(dir));
    }
    size_t n = size - 1;
    char *text = fuzz_exact_copy(data + 1, n);
    if (!text)
        return 0;
    switch (data[0] % 4) {
    case 0:
        topics(text, n);
        break;
    case 1:
        pairs(text, n);
        break;
    case 2:
        manager(ckpts[(data[0] / 4) % 3], (data[0] / 12) % 2, text, n);
        break;
    default:
        manager("meta.properties", (data[0] / 12) % 2, text, n);
        break;
    }
    free(text);
    return 0;
}
