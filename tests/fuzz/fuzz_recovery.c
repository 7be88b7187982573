/*
 * libFuzzer target for opening and recovering a partition log
 * (broker/log/log_load.c and the segment, index and batch code under it):
 * the bytes a crash, a bad disk or a person with an editor can leave in
 * <log.dir>/<topic>-<partition>/.
 *
 * Input: three option bytes, then sections separated by "|SEG|".
 *   byte 0  bit 0: the dir had the clean-shutdown marker (nothing is
 *           re-validated); bit 1: recompute the CRC of every batch whose
 *           framing fits, so that mutations reach past the CRC check;
 *           bits 2-3: index.interval.bytes (1, 64, 256, 4096); bit 4: the
 *           first section is the leader-epoch-checkpoint; bit 5: append a
 *           batch after opening; bits 6-7: segment.index.bytes (16, 64,
 *           4096, 65536);
 *   byte 1  the recovery point from the checkpoint (255: INT64_MAX);
 *   byte 2  the log start offset from the checkpoint (255: -1, unknown);
 *   then up to four segments, three sections each: .log, .index and
 *   .timeindex bytes (an empty section leaves that file out). A segment's
 *   base offset (its file name) is the BaseOffset in its first 8 bytes, as
 *   the log layer names segments (the previous one's plus 1 when shorter);
 *   a repeated name drops the segment.
 *
 * Beyond what the sanitizers catch, it aborts when log_open() fails without
 * a reason, or when the opened log breaks its invariants: segments sorted
 * and not overlapping, each one's size that of its file and its indexes
 * sane, log start and recovery point within [0, log end], leader epochs
 * increasing and inside the log; every re-validated segment must be whole
 * valid batches with increasing offsets inside the segment; reads from the
 * log start walk forward; a timestamp search answers inside the log; an
 * append after opening succeeds at the log end and reads back; and a log
 * recovered entirely recovers again to the same thing.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log/log.h"
#include "broker/log/log_bg.h"
#include "common/buf.h"
#include "common/bytes.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/logger.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/unit/testbatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEP "|SEG|"
#define MAX_SEGS 4

static char dir[PATH_MAX];
static struct log_bg *bg;

/* The options and files of one input. */
struct input {
    bool clean, fix_crc, epochs, append;
    int32_t index_interval, index_bytes;
    int64_t recovery_point, log_start;
    const uint8_t *sec[1 + 3 * MAX_SEGS];
    size_t seclen[1 + 3 * MAX_SEGS];
    int nsec;
    int64_t bases[MAX_SEGS]; /* sorted, distinct: the segments written */
    int nbases;
};

static void split(const uint8_t *p, size_t n, struct input *in)
{
    in->nsec = 0;
    while (in->nsec < (int)(sizeof(in->sec) / sizeof(in->sec[0]))) {
        const uint8_t *s = memmem(p, n, SEP, strlen(SEP));
        size_t len = s ? (size_t)(s - p) : n;
        in->sec[in->nsec] = p;
        in->seclen[in->nsec++] = len;
        if (!s)
            break;
        p += len + strlen(SEP);
        n -= len + strlen(SEP);
    }
}

static void write_file(const char *name, const void *p, size_t n)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (fs_write_file_atomic(path, p, n, false))
        fuzz_fail("cannot write %s", path);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Writes the partition directory the input describes. */
static void write_dir(struct input *in)
{
    fs_remove_tree(dir);
    if (fs_mkdirs(dir))
        fuzz_fail("cannot create %s", dir);
    int s = 0;
    if (in->epochs && in->nsec > 0)
        write_file("leader-epoch-checkpoint", in->sec[s], in->seclen[s]), s++;
    in->nbases = 0;
    int64_t prev = -1;
    for (; s < in->nsec && in->nbases < MAX_SEGS; s += 3) {
        const uint8_t *log = in->sec[s];
        size_t n = in->seclen[s];
        int64_t base = n >= 8 ? (int64_t)(be64_load(log) & INT64_MAX) : prev < INT64_MAX ? prev + 1 : 0;
        prev = base;
        bool dup = false;
        for (int k = 0; k < in->nbases; k++)
            dup |= in->bases[k] == base;
        if (dup)
            continue;
        in->bases[in->nbases++] = base;
        char name[64];
        uint8_t *copy = malloc(n ? n : 1);
        if (!copy)
            abort();
        memcpy(copy, log, n);
        if (in->fix_crc)
            testbatch_fix_crcs(copy, n);
        snprintf(name, sizeof(name), "%020" PRId64 ".log", base);
        write_file(name, copy, n);
        free(copy);
        static const char *const sfx[] = {".index", ".timeindex"};
        for (int k = 0; k < 2; k++) {
            if (s + 1 + k < in->nsec && in->seclen[s + 1 + k]) {
                snprintf(name, sizeof(name), "%020" PRId64 "%s", base, sfx[k]);
                write_file(name, in->sec[s + 1 + k], in->seclen[s + 1 + k]);
            }
        }
    }
    qsort(in->bases, (size_t)in->nbases, sizeof(int64_t), cmp_i64);
}

static struct log *open_log(const struct input *in, const struct log_config *cfg, bool clean,
                            int64_t recovery_point)
{
    struct log_open_args a = {.dir = dir,
                              .topic = "t",
                              .partition = 0,
                              .config = cfg,
                              .recovery_point = recovery_point,
                              .log_start_offset = in->log_start,
                              .clean_shutdown = clean,
                              .bg = bg,
                              .now_ms = 1000000};
    struct log *l = NULL;
    char err[512] = "";
    int rc = log_open(&a, &l, err, sizeof(err));
    if (rc && !err[0])
        fuzz_fail("log_open failed with %d and no reason", rc);
    return rc ? NULL : l;
}

/* Walks the batches of segment s from its start: they must fill the file
 * exactly, be valid, and have increasing offsets inside the segment. */
static void check_segment_batches(struct log_segment *s)
{
    int64_t pos = 0, next = s->base_offset;
    uint8_t *buf = NULL;
    while (pos < s->size) {
        uint8_t hdr[LOG_BATCH_HEADER_SIZE];
        if (log_segment_pread(s, hdr, sizeof(hdr), pos) != (int64_t)sizeof(hdr))
            fuzz_fail("%s: a partial batch header at %" PRId64, s->path, pos);
        struct log_batch_hdr h;
        log_batch_parse(hdr, &h);
        int64_t size = log_batch_size(&h);
        if (h.length < LOG_BATCH_HEADER_SIZE - LOG_BATCH_LOG_OVERHEAD || pos + size > s->size)
            fuzz_fail("%s: batch at %" PRId64 " has length %d", s->path, pos, (int)h.length);
        buf = realloc(buf, (size_t)size);
        if (!buf || log_segment_pread(s, buf, (size_t)size, pos) != size)
            abort();
        char why[200];
        if (log_batch_check(buf, (size_t)size, &h, why, sizeof(why)))
            fuzz_fail("%s: recovery kept an invalid batch at %" PRId64 ": %s", s->path, pos, why);
        if (h.base_offset < next || log_batch_last_offset(&h) >= s->next_offset)
            fuzz_fail("%s: batch %" PRId64 "..%" PRId64 " after %" PRId64 " in a segment ending at "
                      "%" PRId64,
                      s->path, h.base_offset, log_batch_last_offset(&h), next, s->next_offset);
        next = log_batch_last_offset(&h) + 1;
        pos += size;
    }
    free(buf);
    if (s->size > 0 && next != s->next_offset)
        fuzz_fail("%s: batches end at %" PRId64 ", the segment says %" PRId64, s->path, next,
                  s->next_offset);
}

static void check_log(struct log *l, const struct input *in, bool clean, int64_t recovery_point)
{
    if (l->nsegs < 1)
        fuzz_fail("an open log without segments");
    int64_t leo = log_end_offset(l);
    /* The first segment re-validated: the one holding the recovery point. */
    int64_t first_recovered = INT64_MAX;
    if (!clean) {
        first_recovered = in->nbases ? in->bases[0] : 0;
        for (int i = 0; i < in->nbases; i++)
            if (in->bases[i] <= recovery_point)
                first_recovered = in->bases[i];
    }
    for (int i = 0; i < l->nsegs; i++) {
        struct log_segment *s = l->segs[i];
        struct stat st;
        if (s->next_offset < s->base_offset)
            fuzz_fail("%s: ends at %" PRId64 ", before its base", s->path, s->next_offset);
        if (i > 0 && s->base_offset < l->segs[i - 1]->next_offset)
            fuzz_fail("%s: starts inside the previous segment", s->path);
        if (fstat(s->file->fd, &st) || st.st_size != s->size)
            fuzz_fail("%s: %" PRId64 " bytes, the file has %lld", s->path, s->size,
                      (long long)st.st_size);
        if (!log_index_sane(&s->index, s->next_offset, s->size) ||
            !log_timeindex_sane(&s->timeindex, s->next_offset))
            fuzz_fail("%s: its indexes do not match it after opening", s->path);
        if (s->base_offset >= first_recovered)
            check_segment_batches(s);
    }
    if (l->log_start_offset < 0 || l->log_start_offset > leo || l->recovery_point < 0 ||
        l->recovery_point > leo)
        fuzz_fail("log start %" PRId64 ", recovery point %" PRId64 ", log end %" PRId64,
                  l->log_start_offset, l->recovery_point, leo);
    for (int i = 0; i < l->epochs.n; i++) {
        const struct log_epoch_entry *e = &l->epochs.e[i];
        if (e->start_offset > leo || e->start_offset < l->log_start_offset ||
            (i > 0 && (e->epoch <= e[-1].epoch || e->start_offset <= e[-1].start_offset)))
            fuzz_fail("leader epoch entry %d (%d at %" PRId64 ") in a log of %" PRId64
                      "..%" PRId64,
                      i, (int)e->epoch, e->start_offset, l->log_start_offset, leo);
    }

    /* Read forward from the log start; every answer moves forward. */
    int64_t off = l->log_start_offset;
    for (int n = 0; off < leo && n < 64; n++) {
        struct log_read_result r;
        int rc = log_read(l, off, 4096, leo, true, &r);
        if (rc || r.length == 0)
            break;
        uint8_t hdr[LOG_BATCH_HEADER_SIZE];
        bool whole = r.length >= (int32_t)sizeof(hdr) &&
                     pread(r.file->fd, hdr, sizeof(hdr), r.position) == (ssize_t)sizeof(hdr);
        log_file_unref(r.file);
        if (!whole)
            break;
        struct log_batch_hdr h;
        log_batch_parse(hdr, &h);
        if (h.base_offset != r.first_offset || log_batch_last_offset(&h) < off)
            fuzz_fail("a read at %" PRId64 " returned the batch %" PRId64 "..%" PRId64, off,
                      h.base_offset, log_batch_last_offset(&h));
        off = log_batch_last_offset(&h) + 1;
    }
    int64_t found, ts;
    if (l->nsegs && log_find_offset_by_timestamp(l, l->segs[0]->max_timestamp, &found, &ts) == 1 &&
        (found < l->log_start_offset || found >= leo))
        fuzz_fail("a timestamp search answered %" PRId64 " outside %" PRId64 "..%" PRId64, found,
                  l->log_start_offset, leo);
}

/* An append at the log end works and reads back. */
static void check_append(struct log *l)
{
    int64_t leo = log_end_offset(l);
    if (leo > INT64_MAX / 2)
        return; /* names near the end of the offset space; appends would overflow */
    struct buf b;
    buf_init(&b);
    struct testbatch_opts o = {.count = 3, .value_size = 10, .timestamp = 1000000};
    testbatch_build(&b, &o);
    struct log_append_info info;
    char why[256];
    int rc = log_append_leader(l, b.data, b.len, 7, 1000000, &info, why, sizeof(why));
    if (rc)
        fuzz_fail("an append after opening failed: %s", why);
    if (info.first_offset != leo || log_end_offset(l) != leo + 3)
        fuzz_fail("appended at %" PRId64 ", the log ended at %" PRId64, info.first_offset, leo);
    struct log_read_result r;
    if (log_read(l, leo, 4096, leo + 3, true, &r) || r.first_offset != leo ||
        r.length != (int32_t)b.len)
        fuzz_fail("the appended batch does not read back");
    log_file_unref(r.file);
    buf_destroy(&b);
}

static void close_log(struct log *l)
{
    log_release(l);
    log_bg_drain(bg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int32_t intervals[] = {1, 64, 256, 4096};
    static const int32_t index_bytes[] = {16, 64, 4096, 65536};
    if (size < 3 || size > (1 << 20))
        return 0;
    if (!bg) {
        logger_set_level(getenv("FUZZ_VERBOSE") ? LOGGER_INFO : LOGGER_ERROR);
        fuzz_tmpdir("recovery", dir, sizeof(dir));
        strncat(dir, "/t-0", sizeof(dir) - strlen(dir) - 1);
        if (!(bg = log_bg_new()))
            abort();
    }
    struct input in = {.clean = data[0] & 1,
                       .fix_crc = data[0] & 2,
                       .index_interval = intervals[(data[0] >> 2) & 3],
                       .epochs = data[0] & 16,
                       .append = data[0] & 32,
                       .index_bytes = index_bytes[data[0] >> 6],
                       .recovery_point = data[1] == 255 ? INT64_MAX : data[1],
                       .log_start = data[2] == 255 ? -1 : data[2]};
    split(data + 3, size - 3, &in);
    write_dir(&in);
    struct log_config cfg = fuzz_log_config();
    cfg.index_interval_bytes = in.index_interval;
    cfg.segment_index_bytes = in.index_bytes;

    struct log *l = open_log(&in, &cfg, in.clean, in.recovery_point);
    if (!l)
        return 0;
    check_log(l, &in, in.clean, in.recovery_point);
    /* Recovered from the first segment on: recovering again changes
     * nothing. */
    bool all_recovered = !in.clean && (in.nbases < 2 || in.bases[1] > in.recovery_point);
    if (all_recovered) {
        int64_t leo = log_end_offset(l), bytes = log_size(l), start = l->log_start_offset;
        int nsegs = l->nsegs;
        close_log(l);
        /* The files as they are now, without the segments it dropped. */
        in.nbases = 0;
        l = open_log(&in, &cfg, false, 0);
        if (!l)
            fuzz_fail("a recovered log does not open again");
        if (log_end_offset(l) != leo || log_size(l) != bytes || l->nsegs != nsegs ||
            l->log_start_offset != start)
            fuzz_fail("recovering again changed the log: end %" PRId64 " -> %" PRId64
                      ", %" PRId64 " -> %" PRId64 " bytes, %d -> %d segments",
                      leo, log_end_offset(l), bytes, log_size(l), nsegs, l->nsegs);
        check_log(l, &in, false, 0);
    }
    if (in.append)
        check_append(l);
    close_log(l);
    return 0;
}
