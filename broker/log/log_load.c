/*
 * Opening a partition log, and recovering it after an unclean shutdown
 * (Kafka's LogLoader).
 *
 * Segments below the one holding the recovery point were fsynced before the
 * recovery point moved past them, so they are trusted: only their tails are
 * read to find where they end, and their indexes are checked for sanity.
 * From the segment holding the recovery point on, every batch is re-read and
 * CRC-checked, indexes are rebuilt, the log is cut at the first invalid
 * batch and every later segment is deleted. After a clean shutdown nothing
 * is re-validated.
 */
#define LOG_COMPONENT "log"
#include "broker/log/log.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "broker/log/log_internal.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/logger.h"

/* The largest base offset a segment may have: index entries hold offsets
 * relative to the base in 32 bits, and from a base closer to the end of the
 * offset space they (and appends) overflow. No real log gets there. */
#define MAX_BASE_OFFSET (INT64_MAX - UINT32_MAX)

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* Parses "<20 digits><suffix>" into a base offset. */
static bool parse_base(const char *name, const char *suffix, int64_t *base)
{
    size_t n = strlen(name), m = strlen(suffix);
    if (n != 20 + m || strcmp(name + 20, suffix))
        return false;
    int64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9' || v > (INT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (name[i] - '0');
    }
    *base = v;
    return true;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Lists segment base offsets, removes leftovers of interrupted operations
 * and index files whose .log is gone. */
static int scan_dir(const char *dir, int64_t **bases, int *n, char *errstr, size_t errsz)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(errstr, errsz, "cannot read %s: %s", dir, strerror(errno));
        return gr_err_from_errno(errno);
    }
    int cap = 0, rc = 0;
    *bases = NULL;
    *n = 0;
    struct dirent *de;
    char p[PATH_MAX];
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        int64_t base;
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        if (parse_base(name, ".log", &base)) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 16;
                int64_t *nb = realloc(*bases, (size_t)cap * sizeof(int64_t));
                if (!nb) {
                    rc = GR_E_NOMEM;
                    break;
                }
                *bases = nb;
            }
            (*bases)[(*n)++] = base;
        } else if (has_suffix(name, ".deleted") || has_suffix(name, ".cleaned") ||
                   has_suffix(name, ".swap") || has_suffix(name, ".tmp")) {
            LOG_INFO("removing leftover file %s", p);
            unlink(p);
        }
    }
    closedir(d);
    if (rc) {
        snprintf(errstr, errsz, "out of memory listing %s", dir);
        return rc;
    }
    if (*n > 1)
        qsort(*bases, (size_t)*n, sizeof(int64_t), cmp_i64);

    /* Index files without their .log are orphans of a deleted segment. */
    if (!(d = opendir(dir)))
        return 0;
    while ((de = readdir(d))) {
        int64_t base;
        const char *name = de->d_name;
        if (!parse_base(name, ".index", &base) && !parse_base(name, ".timeindex", &base))
            continue;
        if (!*n || !bsearch(&base, *bases, (size_t)*n, sizeof(int64_t), cmp_i64)) {
            snprintf(p, sizeof(p), "%s/%s", dir, name);
            LOG_INFO("removing index file %s: its segment is gone", p);
            unlink(p);
        }
    }
    closedir(d);
    return 0;
}

static void load_epochs(struct log *l)
{
    char path[PATH_MAX];
    struct buf b;
    snprintf(path, sizeof(path), "%s/leader-epoch-checkpoint", l->dir);
    buf_init(&b);
    int rc = fs_read_file(path, &b, 16 << 20);
    if (!rc && log_epoch_parse(&l->epochs, (const char *)b.data, b.len))
        LOG_WARN("%s is malformed; starting with an empty leader epoch cache", path);
    else if (rc && rc != GR_E_NOENT)
        LOG_WARN("cannot read %s: %s", path, gr_strerror(rc));
    buf_destroy(&b);
}

static void recovered_batch(const struct log_batch_hdr *h, void *ctx)
{
    struct log *l = ctx;
    if (h->leader_epoch >= 0 && h->leader_epoch > log_epoch_latest(&l->epochs))
        log_epoch_assign(&l->epochs, h->leader_epoch, h->base_offset);
}

/* Deletes the files of the segments at bases[from..n), which were never
 * opened: they follow a damaged batch, and the log must stay one contiguous
 * run of offsets. */
static void remove_later(struct log *l, const int64_t *bases, int from, int n)
{
    static const char *const sfx[] = {".log", ".index", ".timeindex"};
    for (int k = from; k < n; k++) {
        char p[PATH_MAX];
        for (int m = 0; m < 3; m++) {
            snprintf(p, sizeof(p), "%s/%020" PRId64 "%s", l->dir, bases[k], sfx[m]);
            unlink(p);
        }
    }
    if (from < n) {
        LOG_WARN("deleted %d segment(s) of %s-%d after the damaged one", n - from, l->topic,
                 l->partition);
        l->dirs_dirty = true;
    }
}

/* Opens every segment and recovers what needs it. */
static int load_segments(struct log *l, const struct log_open_args *a, const int64_t *bases,
                         int nbases, char *errstr, size_t errsz)
{
    /* First segment to re-validate: the one holding the recovery point. */
    int first_unflushed = nbases;
    if (!a->clean_shutdown) {
        first_unflushed = 0;
        for (int i = 0; i < nbases; i++)
            if (bases[i] <= a->recovery_point)
                first_unflushed = i;
    }
    for (int i = 0; i < nbases; i++) {
        if (bases[i] > MAX_BASE_OFFSET) {
            snprintf(errstr, errsz,
                     "segment %s/%020" PRId64 ".log is named past the largest offset a log "
                     "can hold; move it out of the partition directory",
                     l->dir, bases[i]);
            return GR_E_CORRUPT;
        }
    }
    for (int i = 0; i < nbases; i++) {
        bool rebuild;
        int rc;
        struct log_segment *s =
            log_segment_open(l->dir, bases[i], l->config.index_interval_bytes,
                             (size_t)l->config.segment_index_bytes, a->now_ms, &rebuild, &rc);
        if (!s) {
            snprintf(errstr, errsz, "cannot open segment %s/%020" PRId64 ".log: %s", l->dir,
                     bases[i], gr_strerror(rc));
            return rc;
        }
        if ((rc = log_segs_append(l, s))) {
            log_segment_close(s);
            return rc;
        }
        bool recover = i >= first_unflushed || rebuild;
        if (!recover) {
            rc = log_segment_load_tail(s);
            if (rc == GR_E_CORRUPT) {
                LOG_WARN("indexes of %s do not match its log; rebuilding them", s->path);
                recover = true;
            } else if (rc) {
                snprintf(errstr, errsz, "cannot read %s.log: %s", s->path, gr_strerror(rc));
                return rc;
            }
        }
        int64_t truncated = 0;
        if (recover) {
            if (rebuild && i < first_unflushed)
                LOG_WARN("index of %s is missing or damaged; rebuilding it", s->path);
            rc = log_segment_recover(s, recovered_batch, l, &truncated);
            if (rc) {
                snprintf(errstr, errsz, "cannot recover %s.log: %s", s->path, gr_strerror(rc));
                return rc;
            }
        }
        if (i > 0 && s->base_offset < l->segs[i - 1]->next_offset) {
            LOG_WARN("segment %s starts at %" PRId64 ", inside the previous segment (which ends "
                     "at %" PRId64 ")",
                     s->path, s->base_offset, l->segs[i - 1]->next_offset);
            log_drop_segment(l, i);
            remove_later(l, bases, i + 1, nbases);
            break;
        }
        if (truncated > 0) {
            remove_later(l, bases, i + 1, nbases);
            break;
        }
    }
    return 0;
}

int log_open(const struct log_open_args *a, struct log **out, char *errstr, size_t errsz)
{
    struct log *l = calloc(1, sizeof(*l));
    if (!l || !(l->dir = strdup(a->dir)) || !(l->topic = strdup(a->topic))) {
        snprintf(errstr, errsz, "out of memory opening %s", a->dir);
        if (l) {
            free(l->dir);
            free(l);
        }
        return GR_E_NOMEM;
    }
    l->partition = a->partition;
    l->config = *a->config;
    /* Kafka draws each log's roll jitter once, below both bounds, so logs
     * created together do not all roll at the same moment. */
    int64_t bound = l->config.segment_jitter_ms < l->config.segment_ms ? l->config.segment_jitter_ms
                                                                       : l->config.segment_ms;
    uint64_t r = 0;
    if (bound > 0 && getrandom(&r, sizeof(r), 0) == sizeof(r))
        l->config.roll_jitter_ms = (int64_t)(r % (uint64_t)bound);
    l->bg = a->bg;
    l->verifier = a->verifier;
    l->high_watermark = 0;
    l->flush_target = -1;
    l->last_flush_ms = a->now_ms;
    log_epoch_init(&l->epochs);
    log_producers_init(&l->producers);

    bool existed = fs_is_dir(a->dir);
    int rc = existed ? 0 : fs_mkdirs(a->dir);
    if (rc) {
        snprintf(errstr, errsz, "cannot create %s: %s", a->dir, strerror(errno));
        log_release(l);
        return rc;
    }
    l->parent_dirty = !existed;

    int64_t *bases = NULL;
    int nbases = 0;
    rc = scan_dir(a->dir, &bases, &nbases, errstr, errsz);
    if (!rc) {
        load_epochs(l);
        rc = load_segments(l, a, bases, nbases, errstr, errsz);
    }
    free(bases);
    if (!rc && l->nsegs == 0) {
        int64_t base = a->log_start_offset > 0 ? a->log_start_offset : 0;
        if (base > MAX_BASE_OFFSET) {
            LOG_WARN("log start offset %" PRId64 " of %s-%d (log-start-offset-checkpoint) is past "
                     "the largest offset a log can hold; starting the log at 0",
                     base, l->topic, l->partition);
            base = 0;
        }
        struct log_segment *s =
            log_segment_create(l->dir, base, l->config.index_interval_bytes,
                               (size_t)l->config.segment_index_bytes, a->now_ms, &rc);
        if (!s)
            snprintf(errstr, errsz, "cannot create the first segment in %s: %s", l->dir,
                     gr_strerror(rc));
        else if ((rc = log_segs_append(l, s)))
            log_segment_close(s);
        l->dirs_dirty = true;
    } else if (!rc) {
        rc = log_segment_activate(log_active(l));
        if (rc)
            snprintf(errstr, errsz, "cannot map the indexes of %s: %s", log_active(l)->path,
                     gr_strerror(rc));
    }
    if (rc) {
        log_release(l);
        return rc;
    }

    int64_t leo = log_end_offset(l);
    l->log_start_offset = a->log_start_offset > l->segs[0]->base_offset ? a->log_start_offset
                                                                       : l->segs[0]->base_offset;
    if (l->log_start_offset > leo)
        l->log_start_offset = leo;
    l->recovery_point = a->clean_shutdown ? leo
                        : a->recovery_point < leo ? a->recovery_point
                                                  : leo;
    if (l->recovery_point < 0)
        l->recovery_point = 0;
    log_load_producers(l); /* failing only costs deduplication; it says so */
    bool changed = log_epoch_truncate_from_end(&l->epochs, leo);
    changed |= log_epoch_truncate_from_start(&l->epochs, l->log_start_offset);
    if (changed || (!a->clean_shutdown && l->epochs.n))
        log_write_epochs(l);
    *out = l;
    return 0;
}
