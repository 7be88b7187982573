/*
 * The log manager (see log_manager.h).
 */
#define LOG_COMPONENT "log"
#include "broker/log/log_manager.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "broker/log/log_bg.h"
#include "broker/log/log_internal.h"
#include "broker/log/log_checkpoint.h"
#include "broker/log/log_dir.h"
#include "broker/log/log_verify.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/logger.h"
#include "common/tp.h"
#include "common/topic_name.h"

#define CKPT_RECOVERY "recovery-point-offset-checkpoint"
#define CKPT_START "log-start-offset-checkpoint"
#define CKPT_HW "replication-offset-checkpoint"

enum { KIND_RECOVERY, KIND_START, KIND_HW, NKINDS };
static const char *const ckpt_names[NKINDS] = {CKPT_RECOVERY, CKPT_START, CKPT_HW};

/* What the map holds per partition. */
struct lm_entry {
    struct log *log; /* the partition log; owned */
    int dir;         /* index of its log dir */
};

/* A partition whose log could not be loaded at start-up: kept out of use
 * until a restart, with its checkpointed offsets, which are written back
 * unchanged so that fixing the directory and restarting loses nothing. */
struct lm_offline {
    int dir;                        /* index of its log dir */
    int64_t offsets[3];             /* recovery point, log start (-1: none), high watermark */
};

struct log_manager {
    struct log_dir *dirs;          /* owned array */
    int ndirs;                     /* entries in dirs */
    struct tpmap logs;             /* topic-partition -> struct lm_entry * (owned) */
    struct tpmap offline;          /* topic-partition -> struct lm_offline * (owned) */
    bool *ckpt_failed;             /* ndirs * NKINDS: the last write of that file failed */
    struct log_bg *bg;             /* the background worker; owned */
    struct log_bg *reader;         /* reads cold ranges for Fetch; owned */
    struct log_verifier *verifier; /* verifies large appends in parallel; owned */
    int32_t broker_id;             /* configured or from meta.properties; -1 unknown */
    struct log_manager_opts o;     /* intervals and the flush hook (dirs not kept) */
    struct log_config defaults;    /* settings of logs found at start-up */
    int64_t next_retention_ms;     /* when retention runs next */
    int64_t next_producer_expiry_ms; /* when idle producers' state is dropped next */
    int64_t next_ckpt_ms[NKINDS];  /* when each checkpoint is written next */
    struct buf *last_ckpt;         /* ndirs * NKINDS: content last written */
};

/* The identity of topic-partition for a lookup: borrowed, and with a NULL
 * topic when no log or checkpoint entry has that name. */
static struct tp find_tp(const char *topic, int32_t partition)
{
    return (struct tp){tp_topic_find(topic, strlen(topic)), partition};
}

/* Inserts value under topic-partition into m (the map takes its own
 * reference on the interned name). Returns 0 or GR_E_NOMEM. */
static int put_tp(struct tpmap *m, const char *topic, int32_t partition, void *value)
{
    const struct tp_topic *t = tp_topic_intern(topic, strlen(topic));
    int rc = t ? tpmap_put(m, (struct tp){t, partition}, value) : GR_E_NOMEM;
    tp_topic_unref(t);
    return rc;
}

/* Splits a partition directory name "<topic>-<partition>". */
static bool parse_dir_name(const char *name, char *topic, size_t topicsz, int32_t *partition)
{
    const char *dash = strrchr(name, '-');
    if (!dash || dash == name || !dash[1])
        return false;
    char *end;
    errno = 0;
    long p = strtol(dash + 1, &end, 10);
    if (errno || *end || p < 0 || p > INT32_MAX || (dash[1] == '0' && dash[2]))
        return false;
    size_t n = (size_t)(dash - name);
    if (n >= topicsz)
        return false;
    memcpy(topic, name, n);
    topic[n] = '\0';
    *partition = (int32_t)p;
    return topic_name_valid(topic);
}

static void flushed_hook(struct log *l, int64_t offset, void *ctx)
{
    struct log_manager *mgr = ctx;
    if (mgr->o.on_flushed)
        mgr->o.on_flushed(l, offset, mgr->o.on_flushed_ctx);
}

static int add_log(struct log_manager *mgr, struct log *l, int dir)
{
    struct lm_entry *e = malloc(sizeof(*e));
    if (!e)
        return GR_E_NOMEM;
    e->log = l;
    e->dir = dir;
    if (put_tp(&mgr->logs, l->topic, l->partition, e)) {
        free(e);
        return GR_E_NOMEM;
    }
    l->on_flushed = flushed_hook;
    l->on_flushed_ctx = mgr;
    mgr->dirs[dir].nlogs++;
    return 0;
}

static int add_offline(struct log_manager *mgr, const char *topic, int32_t partition, int dir,
                       const int64_t saved[3])
{
    struct lm_offline *o = malloc(sizeof(*o));
    if (!o)
        return GR_E_NOMEM;
    o->dir = dir;
    memcpy(o->offsets, saved, sizeof(o->offsets));
    if (put_tp(&mgr->offline, topic, partition, o)) {
        free(o);
        return GR_E_NOMEM;
    }
    mgr->dirs[dir].nlogs++;
    return 0;
}

/* A checkpoint file read into a map topic-partition -> offset. */
struct ckpt_map {
    struct tpmap map;   /* values point into offsets */
    int64_t *offsets;   /* owned */
    size_t n, cap;
};

static void ckpt_add(const char *topic, int32_t partition, int64_t offset, void *ctx)
{
    struct ckpt_map *cm = ctx;
    /* offsets was sized from the file's own entry count, which the parser
     * has checked against the lines, so it never needs to grow (values
     * point into it, so it must not move). */
    if (cm->n == cm->cap)
        return;
    cm->offsets[cm->n] = offset;
    if (!put_tp(&cm->map, topic, partition, &cm->offsets[cm->n]))
        cm->n++;
}

static void ckpt_load(struct ckpt_map *cm, const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct buf b;
    memset(cm, 0, sizeof(*cm));
    tpmap_init(&cm->map);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    buf_init(&b);
    int rc = fs_read_file(path, &b, 256 << 20);
    if (rc) {
        if (rc != GR_E_NOENT)
            LOG_WARN("cannot read %s: %s; treating it as empty", path, gr_strerror(rc));
        buf_destroy(&b);
        return;
    }
    /* The second line is the entry count. */
    const char *nl = memchr(b.data, '\n', b.len);
    long count = nl ? strtol(nl + 1, NULL, 10) : 0;
    if (count > 0 && count < 100000000) {
        cm->offsets = calloc((size_t)count, sizeof(int64_t));
        cm->cap = cm->offsets ? (size_t)count : 0;
    }
    if (log_checkpoint_parse_topics((const char *)b.data, b.len, ckpt_add, cm)) {
        LOG_WARN("%s is malformed; treating it as empty (logs in %s will be fully recovered)",
                 path, dir);
        tpmap_destroy(&cm->map);
        tpmap_init(&cm->map);
    }
    buf_destroy(&b);
}

static int64_t ckpt_get(const struct ckpt_map *cm, struct tp tp, int64_t dflt)
{
    const int64_t *v = tpmap_get(&cm->map, tp);
    return v ? *v : dflt;
}

static void ckpt_free(struct ckpt_map *cm)
{
    tpmap_destroy(&cm->map);
    free(cm->offsets);
}

/* Counts partition directories, for progress reporting. */
static int count_partitions(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    if (!d)
        return 0;
    char p[PATH_MAX];
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || !strchr(de->d_name, '-'))
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        n += fs_is_dir(p);
    }
    closedir(d);
    return n;
}

static int load_dir(struct log_manager *mgr, int di, int64_t now_ms, char *errstr, size_t errsz)
{
    struct log_dir *ld = &mgr->dirs[di];
    struct ckpt_map rp, start, hw;
    ckpt_load(&rp, ld->path, CKPT_RECOVERY);
    ckpt_load(&start, ld->path, CKPT_START);
    ckpt_load(&hw, ld->path, CKPT_HW);
    int total = count_partitions(ld->path), done = 0, rc = 0;
    int64_t t0 = clock_mono_us(), last_report = t0;
    if (total)
        LOG_INFO("loading %d partition log(s) from %s after %s", total, ld->path,
                 ld->clean_shutdown ? "a clean shutdown"
                                    : "an unclean shutdown: unflushed data will be re-validated");
    DIR *d = opendir(ld->path);
    if (!d) {
        snprintf(errstr, errsz, "cannot read log dir %s: %s", ld->path, strerror(errno));
        rc = gr_err_from_errno(errno);
        goto out;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        char path[PATH_MAX], topic[256];
        int32_t partition;
        const char *name = de->d_name;
        if (name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", ld->path, name);
        if (!fs_is_dir(path))
            continue;
        size_t n = strlen(name);
        if (n > 7 && !strcmp(name + n - 7, "-delete")) {
            LOG_INFO("removing %s, a partition deleted before the last shutdown", path);
            struct log_bg_job *j = log_bg_job_new(LOG_BG_REMOVE);
            if (j && (j->path = strdup(path)))
                log_bg_submit(mgr->bg, j);
            else
                log_bg_job_free(j);
            continue;
        }
        if (!parse_dir_name(name, topic, sizeof(topic), &partition)) {
            LOG_WARN("ignoring %s: not a partition directory (<topic>-<partition>)", path);
            continue;
        }
        struct tp tp = find_tp(topic, partition);
        struct lm_entry *dup = tpmap_get(&mgr->logs, tp);
        if (dup) {
            snprintf(errstr, errsz,
                     "partition %s exists in both %s and %s; remove the stale copy before starting",
                     name, mgr->dirs[dup->dir].path, ld->path);
            rc = GR_E_EXISTS;
            break;
        }
        struct log_open_args a = {.dir = path,
                                  .topic = topic,
                                  .partition = partition,
                                  .config = &mgr->defaults,
                                  .recovery_point = ckpt_get(&rp, tp, 0),
                                  .log_start_offset = ckpt_get(&start, tp, -1),
                                  .clean_shutdown = ld->clean_shutdown,
                                  .bg = mgr->bg,
                                  .verifier = mgr->verifier,
                                  .now_ms = now_ms};
        struct log *l;
        if ((rc = log_open(&a, &l, errstr, errsz))) {
            /* Out of memory or descriptors says nothing about this log:
             * taking it offline until the next restart would punish it for
             * the process's limits. Stop the start-up and say why. */
            if (rc == GR_E_NOFILES) {
                size_t len = strlen(errstr);
                snprintf(errstr + len, errsz - len,
                         "; raise the open-file limit (ulimit -n): the broker holds one "
                         "descriptor per segment");
            }
            if (rc == GR_E_NOMEM || rc == GR_E_NOFILES)
                break;
            /* As Kafka does for a failed log dir, but for this partition
             * alone: the broker starts and serves the rest. */
            LOG_ERROR("%s-%d is offline: %s; clients get KAFKA_STORAGE_ERROR for it. Fix or "
                      "remove %s and restart the broker",
                      topic, partition, errstr, path);
            int64_t saved[3] = {a.recovery_point, a.log_start_offset, ckpt_get(&hw, tp, 0)};
            if ((rc = add_offline(mgr, topic, partition, di, saved))) {
                snprintf(errstr, errsz, "out of memory");
                break;
            }
            errstr[0] = '\0';
            continue;
        }
        log_set_high_watermark(l, ckpt_get(&hw, tp, 0));
        if ((rc = add_log(mgr, l, di))) {
            log_release(l);
            snprintf(errstr, errsz, "out of memory");
            break;
        }
        done++;
        int64_t t = clock_mono_us();
        if (t - last_report > 1000000) {
            LOG_INFO("loaded %d/%d partition logs from %s (%d%%)", done, total, ld->path,
                     total ? done * 100 / total : 100);
            last_report = t;
        }
    }
    closedir(d);
    if (!rc && total)
        LOG_INFO("loaded %d partition log(s) from %s in %" PRId64 " ms", done, ld->path,
                 (clock_mono_us() - t0) / 1000);
out:
    ckpt_free(&rp);
    ckpt_free(&start);
    ckpt_free(&hw);
    return rc;
}

int log_manager_open(const struct log_manager_opts *o, int64_t now_ms, struct log_manager **out,
                     char *errstr, size_t errsz)
{
    struct log_manager *mgr = calloc(1, sizeof(*mgr));
    if (!mgr)
        return GR_E_NOMEM;
    mgr->o = *o;
    mgr->o.dirs = NULL;
    mgr->defaults = *o->defaults;
    mgr->broker_id = o->broker_id;
    tpmap_init(&mgr->logs);
    tpmap_init(&mgr->offline);
    mgr->dirs = calloc((size_t)o->ndirs, sizeof(*mgr->dirs));
    mgr->ckpt_failed = calloc((size_t)o->ndirs * NKINDS + 1, sizeof(bool));
    mgr->last_ckpt = calloc((size_t)o->ndirs * NKINDS, sizeof(struct buf));
    mgr->bg = log_bg_new();
    mgr->reader = log_bg_new();
    mgr->verifier = log_verifier_new();
    int rc = 0;
    if (!mgr->dirs || !mgr->last_ckpt || !mgr->ckpt_failed || !mgr->bg || !mgr->reader ||
        !mgr->verifier) {
        snprintf(errstr, errsz, "cannot start the log manager: %s", strerror(errno));
        rc = GR_E_NOMEM;
        goto fail;
    }
    for (int i = 0; i < o->ndirs; i++) {
        mgr->dirs[i].lock_fd = -1;
        for (int k = 0; k < NKINDS; k++)
            buf_init(&mgr->last_ckpt[i * NKINDS + k]);
    }
    mgr->ndirs = o->ndirs;
    /* Records are the clients' data: by default nobody else on the machine
     * may read them. The umask is process-wide so that every file the
     * broker creates (segments, indexes, checkpoints, meta.properties)
     * gets it, whatever helper creates it. */
    if (o->set_umask)
        umask((mode_t)o->umask);
    for (int i = 0; i < o->ndirs; i++) {
        if (!strncmp(o->dirs[i], "/tmp/", 5) || !strcmp(o->dirs[i], "/tmp"))
            LOG_WARN("log dir %s is under /tmp, which many systems empty at boot: every record "
                     "in it would be lost; set log.dirs to a lasting location",
                     o->dirs[i]);
        if ((rc = log_dir_open(&mgr->dirs[i], o->dirs[i], errstr, errsz)))
            goto fail;
        struct log_dir_meta m;
        if ((rc = log_dir_read_meta(&mgr->dirs[i], &m, errstr, errsz)))
            goto fail;
        if (m.present && m.broker_id >= 0) {
            if (mgr->broker_id >= 0 && m.broker_id != mgr->broker_id) {
                snprintf(errstr, errsz,
                         "log dir %s belongs to broker.id %d (its meta.properties), but this "
                         "broker is configured with broker.id %d: set broker.id=%d, or give this "
                         "broker an empty log dir",
                         o->dirs[i], m.broker_id, mgr->broker_id, m.broker_id);
                rc = GR_E_CONFIG;
                goto fail;
            }
            mgr->broker_id = m.broker_id;
        }
    }
    for (int i = 0; i < o->ndirs; i++)
        if ((rc = load_dir(mgr, i, now_ms, errstr, errsz)))
            goto fail;
    /* The marker said "clean" for the state we just loaded; from now on a
     * crash must look unclean. */
    for (int i = 0; i < o->ndirs; i++) {
        if (mgr->dirs[i].clean_shutdown && (rc = log_dir_clear_marker(&mgr->dirs[i]))) {
            snprintf(errstr, errsz, "cannot remove the clean-shutdown marker in %s: %s",
                     o->dirs[i], strerror(errno));
            goto fail;
        }
    }
    mgr->next_retention_ms = now_ms + o->retention_check_interval_ms;
    mgr->next_producer_expiry_ms = now_ms + o->producer_check_interval_ms;
    mgr->next_ckpt_ms[KIND_RECOVERY] = now_ms + o->recovery_checkpoint_interval_ms;
    mgr->next_ckpt_ms[KIND_START] = now_ms + o->start_checkpoint_interval_ms;
    mgr->next_ckpt_ms[KIND_HW] = now_ms + o->hw_checkpoint_interval_ms;
    *out = mgr;
    return 0;
fail:
    log_manager_close(mgr, false);
    return rc;
}

int32_t log_manager_broker_id(const struct log_manager *mgr)
{
    return mgr->broker_id;
}

int log_manager_set_identity(struct log_manager *mgr, int32_t broker_id, const char *cluster_id,
                             char *errstr, size_t errsz)
{
    for (int i = 0; i < mgr->ndirs; i++) {
        struct log_dir_meta m;
        int rc = log_dir_read_meta(&mgr->dirs[i], &m, errstr, errsz);
        if (rc)
            return rc;
        if (m.present && m.cluster_id[0] && cluster_id && strcmp(m.cluster_id, cluster_id)) {
            snprintf(errstr, errsz,
                     "log dir %s belongs to cluster %s, but ZooKeeper holds cluster %s: point "
                     "zookeeper.connect at this broker's cluster, or give it an empty log dir",
                     mgr->dirs[i].path, m.cluster_id, cluster_id);
            return GR_E_CONFIG;
        }
        if (m.present && m.broker_id >= 0 && m.broker_id != broker_id) {
            snprintf(errstr, errsz, "log dir %s belongs to broker.id %d, not %d",
                     mgr->dirs[i].path, m.broker_id, broker_id);
            return GR_E_CONFIG;
        }
        if (!m.present || m.broker_id < 0 || (cluster_id && !m.cluster_id[0])) {
            if ((rc = log_dir_write_meta(&mgr->dirs[i], broker_id, cluster_id))) {
                snprintf(errstr, errsz, "cannot write %s/meta.properties: %s", mgr->dirs[i].path,
                         strerror(errno));
                return rc;
            }
        }
    }
    mgr->broker_id = broker_id;
    return 0;
}

struct log *log_manager_get(const struct log_manager *mgr, const char *topic, int32_t partition)
{
    struct lm_entry *e = tpmap_get(&mgr->logs, find_tp(topic, partition));
    return e ? e->log : NULL;
}

int log_manager_create(struct log_manager *mgr, const char *topic, int32_t partition,
                       const struct log_config *config, int64_t now_ms, struct log **out,
                       char *errstr, size_t errsz)
{
    if (!topic_name_valid(topic) || partition < 0) {
        snprintf(errstr, errsz, "invalid topic or partition: \"%s\" %d", topic, partition);
        return GR_E_INVALID;
    }
    struct log *l = log_manager_get(mgr, topic, partition);
    if (l) {
        *out = l;
        return 0;
    }
    const struct lm_offline *off = tpmap_get(&mgr->offline, find_tp(topic, partition));
    if (off) {
        /* Never start an empty log elsewhere: the data is still on disk. */
        snprintf(errstr, errsz,
                 "the log of %s-%d in %s could not be loaded at start-up (see the error then); "
                 "it stays offline until the broker restarts",
                 topic, partition, mgr->dirs[off->dir].path);
        return GR_E_OFFLINE;
    }
    int best = 0;
    for (int i = 1; i < mgr->ndirs; i++)
        if (mgr->dirs[i].nlogs < mgr->dirs[best].nlogs)
            best = i;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s-%" PRId32, mgr->dirs[best].path, topic, partition);
    struct log_open_args a = {.dir = path,
                              .topic = topic,
                              .partition = partition,
                              .config = config,
                              .recovery_point = 0,
                              .log_start_offset = -1,
                              .clean_shutdown = false,
                              .bg = mgr->bg,
                              .verifier = mgr->verifier,
                              .now_ms = now_ms};
    int rc = log_open(&a, &l, errstr, errsz);
    if (rc)
        return rc;
    if ((rc = add_log(mgr, l, best))) {
        log_release(l);
        snprintf(errstr, errsz, "out of memory");
        return rc;
    }
    LOG_INFO("created log for %s-%d in %s", topic, partition, mgr->dirs[best].path);
    *out = l;
    return 0;
}

int log_manager_delete(struct log_manager *mgr, const char *topic, int32_t partition)
{
    char path[PATH_MAX];
    struct tp tp = find_tp(topic, partition);
    struct lm_entry *e = tpmap_get(&mgr->logs, tp);
    if (!e)
        return GR_E_NOENT;
    uint8_t rnd[16];
    char hex[33];
    if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
        memset(rnd, 0, sizeof(rnd));
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
    snprintf(path, sizeof(path), "%s/%s-%" PRId32 ".%s-delete", mgr->dirs[e->dir].path, topic,
             partition, hex);
    int rc = log_delete(e->log, path);
    if (rc)
        return rc;
    mgr->dirs[e->dir].nlogs--;
    tpmap_del(&mgr->logs, tp);
    free(e);
    LOG_INFO("deleted log of %s-%" PRId32, topic, partition);
    return 0;
}

bool log_manager_offline(const struct log_manager *mgr, const char *topic, int32_t partition)
{
    return tpmap_get(&mgr->offline, find_tp(topic, partition)) != NULL;
}

struct log *log_manager_next(const struct log_manager *mgr, size_t *iter)
{
    void *v;
    return tpmap_next(&mgr->logs, iter, NULL, &v) ? ((struct lm_entry *)v)->log : NULL;
}

int log_manager_count(const struct log_manager *mgr)
{
    return (int)tpmap_count(&mgr->logs);
}

static void ckpt_written(struct log_bg_job *j, void *ctx)
{
    struct log_manager *mgr = ctx;
    size_t slot = (size_t)j->tag;
    if (j->rc) {
        /* Forget what was "last written" so the next interval writes it
         * again even if nothing changed; until then the file on disk is
         * older (recovery after a crash re-validates a little more). */
        LOG_ERROR("cannot write checkpoint %s: %s; retrying at the next checkpoint interval",
                  j->path, strerror(j->err_no));
        buf_reset(&mgr->last_ckpt[slot]);
        mgr->ckpt_failed[slot] = true;
    } else if (mgr->ckpt_failed[slot]) {
        LOG_INFO("wrote checkpoint %s after earlier failures", j->path);
        mgr->ckpt_failed[slot] = false;
    }
}

/* Writes one kind of checkpoint for every dir whose content changed. */
static void write_checkpoints(struct log_manager *mgr, int kind)
{
    struct buf *content = calloc((size_t)mgr->ndirs, sizeof(struct buf));
    size_t *counts = calloc((size_t)mgr->ndirs, sizeof(size_t));
    if (!content || !counts) {
        free(content);
        free(counts);
        return;
    }
    size_t it = 0;
    void *v;
    /* Two passes: the header needs the count first. */
    while (tpmap_next(&mgr->logs, &it, NULL, &v)) {
        struct lm_entry *e = v;
        if (kind != KIND_START || e->log->log_start_offset > e->log->segs[0]->base_offset)
            counts[e->dir]++;
    }
    for (it = 0; tpmap_next(&mgr->offline, &it, NULL, &v);) {
        struct lm_offline *o = v;
        if (kind != KIND_START || o->offsets[KIND_START] >= 0)
            counts[o->dir]++;
    }
    for (int d = 0; d < mgr->ndirs; d++) {
        buf_init(&content[d]);
        log_checkpoint_header(&content[d], counts[d]);
    }
    for (it = 0; tpmap_next(&mgr->logs, &it, NULL, &v);) {
        struct lm_entry *e = v;
        struct log *l = e->log;
        int64_t off = kind == KIND_RECOVERY ? l->recovery_point
                      : kind == KIND_START  ? l->log_start_offset
                                            : l->high_watermark;
        if (kind != KIND_START || l->log_start_offset > l->segs[0]->base_offset)
            log_checkpoint_topic_line(&content[e->dir], l->topic, l->partition, off);
    }
    struct tp tp;
    for (it = 0; tpmap_next(&mgr->offline, &it, &tp, &v);) {
        struct lm_offline *o = v;
        if (kind != KIND_START || o->offsets[KIND_START] >= 0)
            log_checkpoint_topic_line(&content[o->dir], tp.topic->name, tp.partition,
                                      o->offsets[kind]);
    }
    for (int d = 0; d < mgr->ndirs; d++) {
        struct buf *last = &mgr->last_ckpt[d * NKINDS + kind];
        struct buf *now = &content[d];
        bool same = last->len == now->len && (!now->len || !memcmp(last->data, now->data, now->len));
        if (!buf_failed(now) && !same) {
            struct log_bg_job *j = log_bg_job_new(LOG_BG_WRITE_FILE);
            char path[PATH_MAX];
            snprintf(path, sizeof(path), "%s/%s", mgr->dirs[d].path, ckpt_names[kind]);
            if (j && (j->path = strdup(path)) && (j->data = malloc(now->len ? now->len : 1))) {
                memcpy(j->data, now->data, now->len);
                j->len = now->len;
                j->done = ckpt_written;
                j->ctx = mgr;
                j->tag = d * NKINDS + kind;
                log_bg_submit(mgr->bg, j);
                buf_reset(last);
                buf_append(last, now->data, now->len);
            } else {
                log_bg_job_free(j);
            }
        }
        buf_destroy(now);
    }
    free(content);
    free(counts);
}

void log_manager_checkpoint(struct log_manager *mgr)
{
    for (int k = 0; k < NKINDS; k++)
        write_checkpoints(mgr, k);
}

void log_manager_tick(struct log_manager *mgr, int64_t now_ms)
{
    size_t it = 0;
    void *v;
    if (now_ms >= mgr->next_retention_ms) {
        int deleted = 0;
        while (tpmap_next(&mgr->logs, &it, NULL, &v)) {
            int n = log_apply_retention(((struct lm_entry *)v)->log, now_ms);
            deleted += n > 0 ? n : 0;
        }
        if (deleted)
            LOG_INFO("retention deleted %d segment(s)", deleted);
        mgr->next_retention_ms = now_ms + mgr->o.retention_check_interval_ms;
    }
    for (it = 0; tpmap_next(&mgr->logs, &it, NULL, &v);)
        log_flush_if_due(((struct lm_entry *)v)->log, now_ms);
    if (mgr->o.producer_expiration_ms > 0 && now_ms >= mgr->next_producer_expiry_ms) {
        /* Kafka's producer id expiration: an idle producer's state goes, so
         * memory follows the producers active within the expiration. */
        int dropped = 0;
        for (it = 0; tpmap_next(&mgr->logs, &it, NULL, &v);)
            dropped += log_producers_expire(&((struct lm_entry *)v)->log->producers, now_ms,
                                            mgr->o.producer_expiration_ms);
        if (dropped)
            LOG_INFO("dropped the state of %d idle producer(s)", dropped);
        mgr->next_producer_expiry_ms = now_ms + mgr->o.producer_check_interval_ms;
    }
    const int64_t intervals[NKINDS] = {mgr->o.recovery_checkpoint_interval_ms,
                                       mgr->o.start_checkpoint_interval_ms,
                                       mgr->o.hw_checkpoint_interval_ms};
    for (int k = 0; k < NKINDS; k++) {
        if (now_ms >= mgr->next_ckpt_ms[k]) {
            write_checkpoints(mgr, k);
            mgr->next_ckpt_ms[k] = now_ms + intervals[k];
        }
    }
}

int64_t log_manager_tick_interval_ms(const struct log_manager *mgr)
{
    int64_t t = 1000;
    if (mgr->defaults.flush_ms < t)
        t = mgr->defaults.flush_ms;
    return t < 10 ? 10 : t;
}

int log_manager_fd(const struct log_manager *mgr)
{
    return log_bg_fd(mgr->bg);
}

int log_manager_read_fd(const struct log_manager *mgr)
{
    return log_bg_fd(mgr->reader);
}

struct log_bg *log_manager_reader(struct log_manager *mgr)
{
    return mgr->reader;
}

void log_manager_poll(struct log_manager *mgr)
{
    log_bg_poll(mgr->bg);
    log_bg_poll(mgr->reader);
}

void log_manager_drain(struct log_manager *mgr)
{
    log_bg_drain(mgr->bg);
}

void log_manager_close(struct log_manager *mgr, bool clean)
{
    if (!mgr)
        return;
    size_t it = 0;
    void *v;
    bool all_ok = true;
    /* First, while the logs still exist: the reads' callbacks answer (or
     * drop) the fetches that waited for them. */
    if (mgr->reader)
        log_bg_free(mgr->reader);
    mgr->reader = NULL;
    if (clean && mgr->bg) {
        int64_t now = clock_wall_ms();
        while (tpmap_next(&mgr->logs, &it, NULL, &v)) {
            struct log *l = ((struct lm_entry *)v)->log;
            /* Kafka's snapshot at close: the next open reads no batch to
             * rebuild the producer state. */
            if (!l->offline)
                log_write_producer_snapshot(l);
            log_flush(l, now);
        }
        log_bg_drain(mgr->bg);
        for (it = 0; tpmap_next(&mgr->logs, &it, NULL, &v);) {
            struct log *l = ((struct lm_entry *)v)->log;
            all_ok &= !l->offline && l->recovery_point == log_end_offset(l);
        }
        log_manager_checkpoint(mgr);
        log_bg_drain(mgr->bg);
        /* A checkpoint that did not reach the disk (log-start-offset
         * above all) must not be trusted as "clean". */
        for (int k = 0; k < mgr->ndirs * NKINDS; k++)
            all_ok &= !mgr->ckpt_failed[k];
    }
    for (it = 0; tpmap_next(&mgr->logs, &it, NULL, &v);) {
        log_release(((struct lm_entry *)v)->log);
        free(v);
    }
    tpmap_destroy(&mgr->logs);
    for (it = 0; tpmap_next(&mgr->offline, &it, NULL, &v);)
        free(v);
    tpmap_destroy(&mgr->offline);
    if (mgr->bg)
        log_bg_free(mgr->bg); /* runs the remaining jobs first */
    log_verifier_free(mgr->verifier);
    for (int i = 0; i < mgr->ndirs; i++) {
        if (clean && all_ok && mgr->dirs[i].path && log_dir_write_marker(&mgr->dirs[i]))
            LOG_ERROR("cannot write the clean-shutdown marker in %s: %s", mgr->dirs[i].path,
                      strerror(errno));
        log_dir_close(&mgr->dirs[i]);
        for (int k = 0; k < NKINDS; k++)
            buf_destroy(&mgr->last_ckpt[i * NKINDS + k]);
    }
    if (clean && !all_ok)
        LOG_WARN("some logs could not be flushed; the next start will recover them");
    free(mgr->dirs);
    free(mgr->last_ckpt);
    free(mgr->ckpt_failed);
    free(mgr);
}
