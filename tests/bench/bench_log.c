/*
 * Log benchmark: append and sequential-read throughput of gregor's partition
 * log, each figure beside the same I/O done with plain write()/read() calls
 * of the same sizes on the same filesystem in the same run.
 *
 *   bench_log [--dir DIR] [--mb N] [--sync-seconds S] [--pairs P] [--case N]
 *
 * Cases: 100-byte records in 16 KiB and 1 MiB batches, to 1 and 16
 * partitions, with flushing off and with an fdatasync per batch. Every case
 * runs one uncounted warm-up round of each side, then raw and gregor
 * alternately P times (default 3 pairs), and reports the medians and their
 * ratio. Without flushing each side writes N MiB (default
 * 1024); with an fdatasync per batch the raw side runs for S seconds
 * (default 4) and gregor then writes the same number of bytes.
 *
 * The gregor side is the real append path: batch validation (CRC-32C, record
 * framing), offset assignment, index maintenance and the write, with the
 * fsync done by the log's background worker and waited for (as a produce
 * request with flush.messages=1 waits before it is acknowledged). Reads go
 * through log_read() (offset -> file range) and pread() of that range; the
 * raw side read()s the files in batch-sized chunks. Both read from the page
 * cache (the data was just written): the figure is software overhead, not
 * disk speed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "broker/log/log_manager.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/crc32c.h"
#include "common/fsutil.h"
#include "common/logger.h"
#include "tests/unit/testbatch.h"

#define MAX_PARTS 16
#define POOL 32 /* distinct batches cycled through, so the data is not one page */

struct bench_case {
    size_t batch_bytes;
    int parts;
    bool sync;
};

static const char *dir = NULL;
static int64_t total_mb = 1024;
static double sync_seconds = 4;
static int pairs = 3;
static int only_case = -1; /* --case N runs only case N (0-based) */

static double secs(int64_t us)
{
    return (double)us / 1e6;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_log: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* A pool of batches of roughly batch_bytes of 100-byte records. */
static struct buf pool[POOL];
static size_t pool_len[POOL];

static void build_pool(size_t batch_bytes)
{
    for (int i = 0; i < POOL; i++) {
        buf_destroy(&pool[i]);
        buf_init(&pool[i]);
        /* Start from ~108 bytes per 100-byte record and shrink until the
         * batch fits in batch_bytes (offset deltas grow with the count). */
        int count = (int)((batch_bytes - 61) / 108);
        struct testbatch_opts o = {.count = count, .value_size = 100, .timestamp = 1700000000000,
                                   .seed = (uint64_t)i + 1};
        do {
            buf_reset(&pool[i]);
            testbatch_build(&pool[i], &o);
            o.count -= o.count / 100 + 1;
        } while (pool[i].len > batch_bytes);
        pool_len[i] = pool[i].len;
    }
}

static void drop_tree(const char *p)
{
    fs_remove_tree(p);
    sync();
}

/* Raw side: write() round-robin to parts files (fdatasync after each write
 * if sync) until limit bytes or, with deadline_us > 0, until the deadline.
 * Returns bytes written and sets *us. */
static int64_t raw_write(const struct bench_case *bc, int64_t limit, int64_t deadline_us,
                         int64_t *us)
{
    char p[4096];
    int fds[MAX_PARTS];
    snprintf(p, sizeof(p), "%s/raw", dir);
    fs_mkdirs(p);
    for (int i = 0; i < bc->parts; i++) {
        snprintf(p, sizeof(p), "%s/raw/f%d", dir, i);
        if ((fds[i] = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
            die("open");
    }
    int64_t done = 0, t0 = clock_mono_us();
    for (int64_t n = 0; done < limit; n++) {
        int k = (int)(n % POOL), f = (int)(n % bc->parts);
        if (write(fds[f], pool[k].data, pool_len[k]) != (ssize_t)pool_len[k])
            die("write");
        if (bc->sync && fdatasync(fds[f]))
            die("fdatasync");
        done += (int64_t)pool_len[k];
        if (deadline_us && (n & 7) == 7 && clock_mono_us() - t0 > deadline_us)
            break;
    }
    *us = clock_mono_us() - t0;
    for (int i = 0; i < bc->parts; i++)
        close(fds[i]);
    return done;
}

static int64_t raw_read(const struct bench_case *bc, int64_t *us)
{
    char p[4096];
    uint8_t *b = malloc(bc->batch_bytes);
    int64_t done = 0, t0 = clock_mono_us();
    for (int i = 0; i < bc->parts; i++) {
        snprintf(p, sizeof(p), "%s/raw/f%d", dir, i);
        int fd = open(p, O_RDONLY);
        if (fd < 0)
            die("open");
        ssize_t n;
        while ((n = read(fd, b, bc->batch_bytes)) > 0)
            done += n;
        close(fd);
    }
    *us = clock_mono_us() - t0;
    free(b);
    return done;
}

static struct log_config bench_config(bool sync)
{
    struct log_config c = testbatch_log_config();
    c.segment_index_bytes = 10 << 20;
    c.max_message_bytes = 2 << 20;
    c.flush_messages = sync ? 1 : INT64_MAX;
    return c;
}

static struct log_manager *open_mgr(const struct log_config *c)
{
    char p[4096], err[512];
    snprintf(p, sizeof(p), "%s/logs", dir);
    const char *dirs[] = {p};
    struct log_manager_opts o = {.dirs = dirs, .ndirs = 1, .broker_id = 0,
                                 .retention_check_interval_ms = INT64_MAX / 4,
                                 .recovery_checkpoint_interval_ms = INT64_MAX / 4,
                                 .start_checkpoint_interval_ms = INT64_MAX / 4,
                                 .hw_checkpoint_interval_ms = INT64_MAX / 4, .defaults = c};
    struct log_manager *m;
    if (log_manager_open(&o, clock_wall_ms(), &m, err, sizeof(err))) {
        fprintf(stderr, "bench_log: %s\n", err);
        exit(1);
    }
    return m;
}

/* gregor side: the same bytes through log_append_leader. */
static int64_t log_write(const struct bench_case *bc, int64_t limit, int64_t *us)
{
    struct log_config c = bench_config(bc->sync);
    struct log_manager *m = open_mgr(&c);
    struct log *logs[MAX_PARTS];
    char err[512];
    for (int i = 0; i < bc->parts; i++)
        if (log_manager_create(m, "bench", i, &c, clock_wall_ms(), &logs[i], err, sizeof(err))) {
            fprintf(stderr, "bench_log: %s\n", err);
            exit(1);
        }
    int64_t done = 0, t0 = clock_mono_us();
    for (int64_t n = 0; done < limit; n++) {
        int k = (int)(n % POOL), f = (int)(n % bc->parts);
        struct log_append_info info;
        char why[256];
        if (log_append_leader(logs[f], pool[k].data, pool_len[k], 0, 1700000000000, &info, why,
                              sizeof(why))) {
            fprintf(stderr, "bench_log: append: %s\n", why);
            exit(1);
        }
        /* With flush.messages=1 the append has asked for an fsync; a produce
         * request would be answered only after it, so wait for it. */
        if (info.flush_requested)
            log_manager_drain(m);
        done += (int64_t)pool_len[k];
    }
    *us = clock_mono_us() - t0;
    log_manager_close(m, false);
    return done;
}

static int64_t log_readall(const struct bench_case *bc, int64_t *us)
{
    struct log_config c = bench_config(false);
    struct log_manager *m = open_mgr(&c);
    uint8_t *b = malloc(bc->batch_bytes + 4096);
    int64_t done = 0, t0 = clock_mono_us();
    for (int i = 0; i < bc->parts; i++) {
        struct log *l = log_manager_get(m, "bench", i);
        int64_t off = 0, end = log_end_offset(l);
        while (off < end) {
            struct log_read_result r;
            if (log_read(l, off, (int32_t)bc->batch_bytes, end, true, &r) || !r.length)
                die("log_read");
            if (pread(r.file->fd, b, (size_t)r.length, r.position) != r.length)
                die("pread");
            /* Like a consumer: continue after the last whole batch. */
            size_t pos = 0;
            while (pos + LOG_BATCH_HEADER_SIZE <= (size_t)r.length) {
                struct log_batch_hdr h;
                log_batch_parse(b + pos, &h);
                if (pos + (size_t)log_batch_size(&h) > (size_t)r.length)
                    break;
                off = log_batch_last_offset(&h) + 1;
                pos += (size_t)log_batch_size(&h);
            }
            done += (int64_t)pos;
            log_file_unref(r.file);
        }
    }
    *us = clock_mono_us() - t0;
    free(b);
    log_manager_close(m, false);
    return done;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void run_case(const struct bench_case *bc)
{
    double raw_w[16], log_w[16], raw_r[16], log_r[16];
    char rawdir[4096], logdir[4096];
    snprintf(rawdir, sizeof(rawdir), "%s/raw", dir);
    snprintf(logdir, sizeof(logdir), "%s/logs", dir);
    build_pool(bc->batch_bytes);
    int64_t limit = total_mb << 20, us, bytes;
    if (bc->sync) {
        /* Calibration (not counted): how much the raw side syncs in the
         * time allowed; both sides then write exactly that. */
        drop_tree(rawdir);
        limit = raw_write(bc, INT64_MAX, (int64_t)(sync_seconds * 1e6), &us);
    }
    /* One uncounted round of each side first: the first writes after the
     * previous case deleted its files run far slower on both sides. */
    drop_tree(rawdir);
    drop_tree(logdir);
    raw_write(bc, limit, 0, &us);
    log_write(bc, limit, &us);
    for (int p = 0; p < pairs; p++) {
        drop_tree(rawdir);
        drop_tree(logdir);
        /* Alternate which side goes first so neither always meets a page
         * cache the other just filled with dirty data. */
        for (int side = 0; side < 2; side++) {
            if ((side == 0) == (p % 2 == 0)) {
                bytes = raw_write(bc, limit, 0, &us);
                raw_w[p] = (double)bytes / secs(us) / 1e6;
                sync();
                bytes = raw_read(bc, &us);
                raw_r[p] = (double)bytes / secs(us) / 1e6;
            } else {
                bytes = log_write(bc, limit, &us);
                log_w[p] = (double)bytes / secs(us) / 1e6;
                sync();
                bytes = log_readall(bc, &us);
                log_r[p] = (double)bytes / secs(us) / 1e6;
            }
        }
    }
    char name[64];
    snprintf(name, sizeof(name), "%s x%-2d %s", bc->batch_bytes >= (1 << 20) ? "1 MiB " : "16 KiB",
             bc->parts, bc->sync ? "fdatasync/batch" : "no flush");
    if (getenv("BENCH_VERBOSE"))
        for (int p = 0; p < pairs; p++)
            fprintf(stderr, "  pair %d: write raw %.0f gregor %.0f, read raw %.0f gregor %.0f MB/s\n",
                    p, raw_w[p], log_w[p], raw_r[p], log_r[p]);
    double rw = median(raw_w, pairs), lw = median(log_w, pairs);
    double goal = bc->sync ? (bc->batch_bytes >= (1 << 20) ? 0.8 : 0) : 0.9;
    char goaltxt[32] = "";
    if (goal > 0)
        snprintf(goaltxt, sizeof(goaltxt), ">= %.1f %s", goal, lw / rw >= goal ? "met" : "MISSED");
    printf("append %-28s  raw %8.1f MB/s   gregor %8.1f MB/s   ratio %5.2f  %s\n", name, rw, lw,
           lw / rw, goaltxt);
    if (!bc->sync) {
        double rr = median(raw_r, pairs), lr = median(log_r, pairs);
        printf("read   %-28s  raw %8.1f MB/s   gregor %8.1f MB/s   ratio %5.2f\n", name, rr, lr,
               lr / rr);
    }
    fflush(stdout);
    drop_tree(rawdir);
    drop_tree(logdir);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
                                         {"mb", required_argument, 0, 'm'},
                                         {"sync-seconds", required_argument, 0, 's'},
                                         {"pairs", required_argument, 0, 'p'},
                                         {"case", required_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int ch;
    char defdir[4096];
    while ((ch = getopt_long(argc, argv, "d:m:s:p:c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': dir = optarg; break;
        case 'm': total_mb = atoll(optarg); break;
        case 's': sync_seconds = atof(optarg); break;
        case 'p': pairs = atoi(optarg); break;
        case 'c': only_case = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: bench_log [--dir DIR] [--mb N] [--sync-seconds S] [--pairs P] [--case N]\n");
            return ch == 'h' ? 0 : 2;
        }
    }
    if (total_mb < 1 || pairs < 1 || pairs > 16 || sync_seconds <= 0) {
        fprintf(stderr, "bench_log: --mb >= 1, 1 <= --pairs <= 16, --sync-seconds > 0\n");
        return 2;
    }
    if (!dir) {
        snprintf(defdir, sizeof(defdir), "%s/gregor-bench-log", getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp");
        dir = defdir;
    }
    if (fs_mkdirs(dir))
        die(dir);
    logger_set_level(LOGGER_WARN);
    struct statfs sf;
    struct utsname un;
    uname(&un);
    statfs(dir, &sf);
    time_t now = time(NULL);
    char date[64];
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M", localtime(&now));
    printf("gregor log benchmark, %s, %s %s, %ld CPUs, CRC-32C %s\n", date, un.sysname, un.release,
           sysconf(_SC_NPROCESSORS_ONLN), crc32c_hw_available() ? "SSE4.2" : "software");
    printf("dir %s (filesystem magic 0x%lx, %.0f GB free); %d pair(s) per case, medians; "
           "%" PRId64 " MiB per no-flush run, %.0f s per fdatasync run\n",
           dir, (unsigned long)sf.f_type, (double)sf.f_bavail * (double)sf.f_bsize / 1e9, pairs,
           total_mb, sync_seconds);
    static const struct bench_case cases[] = {
        {16 << 10, 1, false}, {16 << 10, 16, false}, {1 << 20, 1, false}, {1 << 20, 16, false},
        {16 << 10, 1, true},  {16 << 10, 16, true},  {1 << 20, 1, true},  {1 << 20, 16, true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (only_case < 0 || (size_t)only_case == i)
            run_case(&cases[i]);
    for (int i = 0; i < POOL; i++)
        buf_destroy(&pool[i]);
    return 0;
}
