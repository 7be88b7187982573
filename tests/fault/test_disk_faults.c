/*
 * A sick disk under the real log code: a log dir on a tiny tmpfs filled up
 * during appends, during a roll and before a restart; a descriptor limit
 * hit during a roll and a flush; a partition that cannot be loaded at
 * start-up; a checkpoint that cannot be written. Each test checks that
 * nothing crashes (a store into an unallocated index page on a full tmpfs
 * is SIGBUS, which kills this program), that the failure is an error the
 * broker can answer (GR_E_NOSPACE / GR_E_NOFILES / GR_E_OFFLINE), that the
 * log stays online where the failure passes, and that every appended
 * (acknowledged) batch is still readable afterwards.
 *
 * The tmpfs tests need root (mount); without it they say so and pass.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log/log.h"
#include "broker/log/log_bg.h"
#include "broker/log/log_manager.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "tests/unit/testbatch.h"
#include "tests/unit/testutil.h"

static char *root;   /* test_tmpdir */
static char mnt[4096]; /* tmpfs mount point under root, "" when not mounted */
static struct log_bg *bg;

static int setup(void)
{
    root = test_tmpdir("diskfault");
    bg = log_bg_new();
    return root && bg ? 0 : -1;
}

static void unmount_small(void);

static int teardown(void)
{
    unmount_small();
    log_bg_free(bg);
    test_rmtree(root);
    free(root);
    return 0;
}

/* Mounts a tmpfs of size_kb at a fresh directory; false (and a note) if
 * this process may not mount. */

static bool mount_small(const char *tag, int size_kb)
{
    unmount_small(); /* a test that stopped at a fatal assertion */
    snprintf(mnt, sizeof(mnt), "%s/%s", root, tag);
    fs_mkdirs(mnt);
    char opts[64];
    snprintf(opts, sizeof(opts), "size=%dk,mode=0700", size_kb);
    if (mount("tmpfs", mnt, "tmpfs", 0, opts)) {
        printf("  (skipped: cannot mount a tmpfs at %s: %s; run as root)\n", mnt, strerror(errno));
        mnt[0] = '\0';
        return false;
    }
    return true;
}

static void unmount_small(void)
{
    if (mnt[0] && umount2(mnt, MNT_DETACH))
        fprintf(stderr, "cannot unmount %s: %s\n", mnt, strerror(errno));
    mnt[0] = '\0';
}

/* Fills the file system holding dir with a filler file; returns its path
 * (owned) so the space can be given back. */
static char *fill(const char *dir)
{
    char p[4200];
    snprintf(p, sizeof(p), "%s/filler", dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0600);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    static char block[4096];
    while (write(fd, block, sizeof(block)) > 0) {
    }
    while (write(fd, block, 1) > 0) {
    }
    close(fd);
    return strdup(p);
}

static struct log *open_log(const struct log_config *c, const char *dir, int64_t rp, bool clean,
                            int *rc_out)
{
    struct log_open_args a = {.dir = dir, .topic = "t", .partition = 0, .config = c,
                              .recovery_point = rp, .log_start_offset = -1,
                              .clean_shutdown = clean, .bg = bg, .now_ms = 1000};
    struct log *l = NULL;
    char err[512];
    int rc = log_open(&a, &l, err, sizeof(err));
    if (rc)
        fprintf(stderr, "log_open: %s\n", err);
    if (rc_out)
        *rc_out = rc;
    return rc ? NULL : l;
}

/* Appends one batch of count records; returns the log's answer. */
static int append1(struct log *l, int count, int value_size, int seed)
{
    struct buf b;
    buf_init(&b);
    struct testbatch_opts o = {.count = count, .value_size = value_size, .timestamp = 1000 + seed,
                               .seed = (uint64_t)seed + 1};
    testbatch_build(&b, &o);
    struct log_append_info info;
    char why[256];
    int rc = log_append_leader(l, b.data, b.len, 1, 1000 + seed, &info, why, sizeof(why));
    buf_destroy(&b);
    return rc;
}

/* Reads every offset from the log start to the end; returns how many
 * records were found, or -1 if a read failed or a CRC did not hold. */
static int64_t read_all(struct log *l)
{
    int64_t off = l->log_start_offset, n = 0;
    while (off < log_end_offset(l)) {
        struct log_read_result r;
        if (log_read(l, off, 1 << 20, INT64_MAX, true, &r) || r.length <= 0)
            return -1;
        uint8_t *p = malloc((size_t)r.length);
        if (pread(r.file->fd, p, (size_t)r.length, r.position) != r.length) {
            free(p);
            log_file_unref(r.file);
            return -1;
        }
        for (size_t i = 0; i + LOG_BATCH_HEADER_SIZE <= (size_t)r.length;) {
            struct log_batch_hdr h;
            char why[200];
            log_batch_parse(p + i, &h);
            if (i + (size_t)log_batch_size(&h) > (size_t)r.length)
                break;
            if (log_batch_check(p + i, (size_t)r.length - i, &h, why, sizeof(why))) {
                free(p);
                log_file_unref(r.file);
                return -1;
            }
            n += log_batch_last_offset(&h) + 1 - (h.base_offset > off ? h.base_offset : off);
            off = log_batch_last_offset(&h) + 1;
            i += (size_t)log_batch_size(&h);
        }
        free(p);
        log_file_unref(r.file);
    }
    return n;
}

/* Appends n batches of 4 records that must succeed; returns the records. */
static int64_t append_n(struct log *l, int n, int value_size, int *seed)
{
    for (int i = 0; i < n; i++)
        CU_ASSERT_EQUAL_FATAL(append1(l, 4, value_size, (*seed)++), 0);
    return 4 * (int64_t)n;
}

/* Closes l as a crash would, reopens it (everything re-validated) and
 * checks that exactly the acknowledged records are there. */
static void check_after_restart(struct log *l, const struct log_config *c, const char *dir,
                                int64_t acked)
{
    log_release(l);
    log_bg_drain(bg);
    l = open_log(c, dir, 0, false, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    CU_ASSERT_EQUAL(read_all(l), acked);
    log_release(l);
    log_bg_drain(bg);
}

/* Appends until the disk is full; every append before the first failure
 * is counted as acknowledged. */
static int64_t append_until_full(struct log *l, int value_size, int *seed, int *last_rc)
{
    int64_t acked = 0;
    for (int i = 0; i < 100000; i++) {
        int rc = append1(l, 4, value_size, (*seed)++);
        if (rc) {
            *last_rc = rc;
            return acked;
        }
        acked += 4;
    }
    *last_rc = 0;
    return acked;
}

/* Size of the batch append1 builds. */
static size_t batch_size(int count, int value_size)
{
    struct buf b;
    buf_init(&b);
    struct testbatch_opts o = {.count = count, .value_size = value_size, .timestamp = 1000,
                               .seed = 1};
    testbatch_build(&b, &o);
    size_t n = b.len;
    buf_destroy(&b);
    return n;
}

/* A full disk during appends, arranged so that the next time index entry
 * is the first to need a new page while the .log still has room in its
 * last one: with a sparse index that store raises SIGBUS; allocated ahead,
 * the entry is skipped. Then appends fail with GR_E_NOSPACE, the log stays
 * online, and nothing appended is lost. */
static void test_full_during_append(void)
{
    if (!mount_small("append", 512))
        return;
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/t-0", mnt);
    struct log_config c = testbatch_log_config();
    c.index_interval_bytes = 0;       /* an index entry per batch after the first */
    c.segment_index_bytes = 1 << 20;  /* more than the whole file system */
    /* 342 batches give 341 time index entries (4,092 bytes); entry 341
     * crosses into the second page. Pick a batch size that leaves the
     * .log room for one more batch in its last page. */
    int v = 10;
    size_t bs = batch_size(4, v);
    while ((342 * bs) % 4096 + bs > 4096)
        bs = batch_size(4, ++v);
    struct log *l = open_log(&c, dir, 0, false, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    int seed = 0, rc = 0;
    int64_t acked = append_n(l, 342, v, &seed);
    log_bg_drain(bg);
    char *filler = fill(mnt);
    rc = append1(l, 4, v, seed++); /* main: SIGBUS here */
    CU_ASSERT_TRUE(rc == 0 || rc == GR_E_NOSPACE);
    if (!rc)
        acked += 4;
    acked += append_until_full(l, v, &seed, &rc);
    CU_ASSERT_EQUAL(rc, GR_E_NOSPACE);
    CU_ASSERT_FALSE(l->offline);
    CU_ASSERT_EQUAL(read_all(l), acked);
    /* Still refused, still online, while the disk stays full. */
    CU_ASSERT_EQUAL(append1(l, 4, v, seed++), GR_E_NOSPACE);
    CU_ASSERT_FALSE(l->offline);
    /* Space comes back: appends go on, nothing was lost. */
    unlink(filler);
    free(filler);
    int rc2 = append1(l, 4, v, seed++);
    CU_ASSERT_EQUAL(rc2, 0);
    if (!rc2)
        acked += 4;
    CU_ASSERT_EQUAL(read_all(l), acked);
    check_after_restart(l, &c, dir, acked);
    unmount_small();
}

/* A full disk when a roll creates the next segment: the old segment stays
 * active, no half-created segment is left behind, and the log is not
 * offline; once space returns the roll happens. */
static void test_full_during_roll(void)
{
    if (!mount_small("roll", 1024))
        return;
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/t-0", mnt);
    struct log_config c = testbatch_log_config();
    c.segment_bytes = 16 * 1024;
    c.segment_index_bytes = 64 * 1024;
    struct log *l = open_log(&c, dir, 0, false, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    int seed = 0, rc;
    int64_t acked = append_n(l, 40, 200, &seed);
    CU_ASSERT_TRUE(l->nsegs > 1);
    /* Fill the disk, then push the active segment to its roll. */
    char *filler = fill(mnt);
    int nsegs = l->nsegs;
    acked += append_until_full(l, 200, &seed, &rc);
    CU_ASSERT_EQUAL(rc, GR_E_NOSPACE);
    CU_ASSERT_FALSE(l->offline);
    CU_ASSERT_TRUE(l->nsegs >= nsegs);
    CU_ASSERT_EQUAL(test_count_files(dir, ".log"), l->nsegs);
    CU_ASSERT_EQUAL(test_count_files(dir, ".index"), l->nsegs);
    CU_ASSERT_EQUAL(read_all(l), acked);
    /* Force the roll itself to be what fails. */
    CU_ASSERT_EQUAL(log_roll(l, 2000), GR_E_NOSPACE);
    CU_ASSERT_TRUE(log_active(l)->active);
    CU_ASSERT_EQUAL(test_count_files(dir, ".log"), l->nsegs);
    unlink(filler);
    free(filler);
    CU_ASSERT_EQUAL(append1(l, 4, 200, seed++), 0);
    acked += 4;
    CU_ASSERT_EQUAL(log_roll(l, 3000), 0);
    CU_ASSERT_EQUAL(append1(l, 4, 200, seed++), 0);
    acked += 4;
    CU_ASSERT_EQUAL(read_all(l), acked);
    check_after_restart(l, &c, dir, acked);
    unmount_small();
}

/* A restart (unclean, so every index is rebuilt) on a disk with no free
 * block: the log opens and serves reads; appends are refused, not fatal. */
static void test_restart_on_full_disk(void)
{
    if (!mount_small("restart", 1024))
        return;
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/t-0", mnt);
    struct log_config c = testbatch_log_config();
    c.segment_bytes = 32 * 1024;
    c.segment_index_bytes = 64 * 1024;
    c.index_interval_bytes = 0;
    struct log *l = open_log(&c, dir, 0, false, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    int seed = 0;
    int64_t acked = append_n(l, 100, 200, &seed);
    log_release(l); /* a crash: the active index keeps its whole allocation */
    log_bg_drain(bg);
    /* Delete the index files so recovery must allocate new ones. */
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[4400];
    while (d && (de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n > 6 && !strcmp(de->d_name + n - 6, ".index")) {
            snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
            unlink(p);
        }
    }
    if (d)
        closedir(d);
    char *filler = fill(mnt);
    int rc = 0;
    l = open_log(&c, dir, 0, false, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    CU_ASSERT_EQUAL(log_end_offset(l), acked);
    CU_ASSERT_EQUAL(read_all(l), acked);
    int64_t ts_off, ts_found;
    CU_ASSERT_EQUAL(log_find_offset_by_timestamp(l, 1050, &ts_off, &ts_found), 1);
    CU_ASSERT_EQUAL(ts_off, 200);
    rc = append1(l, 4, 200, seed++);
    CU_ASSERT_TRUE(rc == GR_E_NOSPACE || rc == 0);
    if (!rc)
        acked += 4;
    CU_ASSERT_FALSE(l->offline);
    log_release(l);
    log_bg_drain(bg);
    unlink(filler);
    free(filler);
    l = open_log(&c, dir, 0, false, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    CU_ASSERT_EQUAL(read_all(l), acked);
    CU_ASSERT_EQUAL(append1(l, 4, 200, seed++), 0);
    log_release(l);
    log_bg_drain(bg);
    unmount_small();
}

/* Descriptors run out during a roll and during a flush: both are refused
 * or postponed, the log stays online, and once descriptors are back the
 * roll happens and the flush moves the recovery point. */
static void test_no_descriptors(void)
{
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/emfile-0", root);
    struct log_config c = testbatch_log_config();
    c.segment_bytes = 8 * 1024;
    c.segment_index_bytes = 64 * 1024;
    struct log *l = open_log(&c, dir, 0, false, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    int seed = 0;
    int64_t acked = append_n(l, 5, 200, &seed);
    log_flush(l, 1000);
    log_bg_drain(bg);
    CU_ASSERT_EQUAL(l->recovery_point, log_end_offset(l));
    /* Use up every descriptor under a low limit. */
    struct rlimit old, low;
    getrlimit(RLIMIT_NOFILE, &old);
    int probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CU_ASSERT_TRUE_FATAL(probe >= 0);
    close(probe);
    low = old;
    low.rlim_cur = (rlim_t)probe + 64;
    CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_NOFILE, &low), 0);
    int hog[128], nhog = 0;
    for (int fd; nhog < 128 && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;)
        hog[nhog++] = fd;
    CU_ASSERT_EQUAL(open("/dev/null", O_RDONLY | O_CLOEXEC), -1); /* really out */
    int rc = 0;
    for (int i = 0; i < 200 && !rc; i++) {
        rc = append1(l, 4, 200, seed++);
        if (!rc)
            acked += 4;
    }
    CU_ASSERT_EQUAL(rc, GR_E_NOFILES);
    CU_ASSERT_FALSE(l->offline);
    log_flush(l, 2000);
    CU_ASSERT_FALSE(l->offline);
    CU_ASSERT_TRUE(l->flush_retry);
    CU_ASSERT_TRUE(l->recovery_point < log_end_offset(l));
    /* Descriptors come back. */
    setrlimit(RLIMIT_NOFILE, &old);
    for (int i = 0; i < nhog; i++)
        close(hog[i]);
    log_flush_if_due(l, 3000);
    log_bg_drain(bg);
    CU_ASSERT_FALSE(l->flush_retry);
    CU_ASSERT_EQUAL(l->recovery_point, log_end_offset(l));
    int nsegs = l->nsegs;
    CU_ASSERT_EQUAL(append1(l, 4, 200, seed++), 0);
    acked += 4;
    CU_ASSERT_TRUE(l->nsegs > nsegs);
    CU_ASSERT_EQUAL(read_all(l), acked);
    log_release(l);
    log_bg_drain(bg);
}

/* Truncation while a flush is in flight: the flush's completion must not
 * move the recovery point past the (new) log end. */
static void test_recovery_point_after_truncation(void)
{
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/trunc-0", root);
    struct log_config c = testbatch_log_config();
    c.segment_bytes = 8 * 1024;
    struct log *l = open_log(&c, dir, 0, false, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    int seed = 0;
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 10; i++)
            CU_ASSERT_EQUAL_FATAL(append1(l, 4, 200, seed++), 0);
        log_flush(l, 1000 + round);
        int64_t to = log_end_offset(l) - 4 * (1 + round % 7);
        CU_ASSERT_EQUAL(log_truncate_to(l, to), 0);
        CU_ASSERT_TRUE(l->recovery_point <= log_end_offset(l));
        log_bg_drain(bg);
        CU_ASSERT_TRUE(l->recovery_point <= log_end_offset(l));
        /* Retention and DeleteRecords never pass the end either. */
        CU_ASSERT_EQUAL(log_advance_start(l, log_end_offset(l) - 4), 0);
        CU_ASSERT_TRUE(l->recovery_point <= log_end_offset(l));
    }
    log_flush(l, 5000);
    log_bg_drain(bg);
    CU_ASSERT_EQUAL(l->recovery_point, log_end_offset(l));
    log_release(l);
    log_bg_drain(bg);
}

/* One partition that cannot be loaded (a .log that is a directory, like
 * an unreadable file) is offline; the broker's other logs load, creation
 * refuses to start an empty log in its place, and its checkpointed
 * offsets are written back unchanged. Checkpoints that cannot be written
 * (a full disk) are retried. */
static void test_offline_partition_and_checkpoint_retry(void)
{
    if (!mount_small("mgr", 1024))
        return;
    const char *dirs[] = {mnt};
    struct log_config defaults = testbatch_log_config();
    defaults.segment_index_bytes = 64 * 1024;
    struct log_manager_opts o = {.dirs = dirs, .ndirs = 1, .broker_id = 1,
                                 .retention_check_interval_ms = 1000,
                                 .recovery_checkpoint_interval_ms = 100,
                                 .start_checkpoint_interval_ms = 100,
                                 .hw_checkpoint_interval_ms = 100, .defaults = &defaults};
    struct log_manager *m;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(log_manager_open(&o, 1000, &m, err, sizeof(err)), 0);
    struct log *a, *b;
    CU_ASSERT_EQUAL_FATAL(log_manager_create(m, "a", 0, &defaults, 1000, &a, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL_FATAL(log_manager_create(m, "b", 0, &defaults, 1000, &b, err, sizeof(err)), 0);
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(append1(a, 4, 50, i), 0);
        CU_ASSERT_EQUAL(append1(b, 4, 50, i), 0);
    }
    CU_ASSERT_EQUAL(log_advance_start(b, 8), 0);
    log_manager_close(m, true);

    /* b's segment becomes unopenable. */
    char p[4400], q[4400];
    snprintf(p, sizeof(p), "%s/b-0/00000000000000000000.log", mnt);
    snprintf(q, sizeof(q), "%s/b-0/saved.bin", mnt);
    CU_ASSERT_EQUAL_FATAL(rename(p, q), 0);
    CU_ASSERT_EQUAL_FATAL(mkdir(p, 0700), 0);
    CU_ASSERT_EQUAL_FATAL(log_manager_open(&o, 2000, &m, err, sizeof(err)), 0);
    CU_ASSERT_PTR_NOT_NULL(log_manager_get(m, "a", 0));
    CU_ASSERT_PTR_NULL(log_manager_get(m, "b", 0));
    CU_ASSERT_TRUE(log_manager_offline(m, "b", 0));
    CU_ASSERT_FALSE(log_manager_offline(m, "a", 0));
    CU_ASSERT_EQUAL(log_manager_create(m, "b", 0, &defaults, 2000, &b, err, sizeof(err)),
                    GR_E_OFFLINE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "could not be loaded"));
    a = log_manager_get(m, "a", 0);
    CU_ASSERT_EQUAL(read_all(a), 20);

    /* A checkpoint write on a full disk fails; it is written once space
     * is back, even though its content did not change meanwhile. */
    char *filler = fill(mnt);
    log_manager_tick(m, 10000);
    log_manager_drain(m);
    unlink(filler);
    free(filler);
    snprintf(p, sizeof(p), "%s/recovery-point-offset-checkpoint", mnt);
    unlink(p); /* proves the retry: only a new write brings it back */
    log_manager_tick(m, 20000);
    log_manager_drain(m);
    CU_ASSERT_TRUE(fs_exists(p));
    log_manager_close(m, true);
    /* b's log start offset (8) survived in the checkpoint. */
    snprintf(p, sizeof(p), "%s/log-start-offset-checkpoint", mnt);
    struct buf cb;
    buf_init(&cb);
    CU_ASSERT_EQUAL(fs_read_file(p, &cb, 1 << 20), 0);
    buf_append(&cb, "", 1);
    CU_ASSERT_PTR_NOT_NULL(strstr((const char *)cb.data, "b 0 8"));
    buf_destroy(&cb);

    /* Repaired, b loads again with its data and its log start. */
    snprintf(p, sizeof(p), "%s/b-0/00000000000000000000.log", mnt);
    rmdir(p);
    CU_ASSERT_EQUAL_FATAL(rename(q, p), 0);
    CU_ASSERT_EQUAL_FATAL(log_manager_open(&o, 3000, &m, err, sizeof(err)), 0);
    b = log_manager_get(m, "b", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(b->log_start_offset, 8);
    CU_ASSERT_EQUAL(read_all(b), 12);
    log_manager_close(m, true);
    unmount_small();
}

/* Files and directories get the umask's modes (0600/0700 under 077). */
static void test_file_modes(void)
{
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/modes", root);
    const char *dirs[] = {dir};
    struct log_config defaults = testbatch_log_config();
    struct log_manager_opts o = {.dirs = dirs, .ndirs = 1, .broker_id = 1,
                                 .retention_check_interval_ms = 1000,
                                 .recovery_checkpoint_interval_ms = 100,
                                 .start_checkpoint_interval_ms = 100,
                                 .hw_checkpoint_interval_ms = 100, .defaults = &defaults,
                                 .set_umask = true, .umask = 077};
    mode_t before = umask(022);
    struct log_manager *m;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(log_manager_open(&o, 1000, &m, err, sizeof(err)), 0);
    struct log *l;
    CU_ASSERT_EQUAL_FATAL(log_manager_create(m, "m", 0, &defaults, 1000, &l, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(append1(l, 4, 50, 1), 0);
    log_manager_close(m, true);
    umask(before);
    static const char *const files[] = {"m-0/00000000000000000000.log",
                                        "m-0/00000000000000000000.index",
                                        "m-0/00000000000000000000.timeindex",
                                        "recovery-point-offset-checkpoint", ".lock"};
    char p[4400];
    struct stat st;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
        CU_ASSERT_EQUAL_FATAL(stat(p, &st), 0);
        if ((st.st_mode & 0777) != 0600)
            fprintf(stderr, "%s has mode %o\n", p, st.st_mode & 0777);
        CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
    }
    snprintf(p, sizeof(p), "%s/m-0", dir);
    CU_ASSERT_EQUAL_FATAL(stat(p, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0700);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"a full disk during appends: ENOSPC, online, nothing lost", test_full_during_append},
        {"a full disk during a roll: old segment kept, no half segment", test_full_during_roll},
        {"a restart on a full disk serves reads", test_restart_on_full_disk},
        {"no descriptors during a roll and a flush: retried, online", test_no_descriptors},
        {"the recovery point never passes the log end", test_recovery_point_after_truncation},
        {"an unloadable partition is offline; checkpoints retried",
         test_offline_partition_and_checkpoint_retry},
        {"data files 0600, directories 0700 under umask 077", test_file_modes},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"disk faults", setup, teardown, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_disk_faults", suites);
}
