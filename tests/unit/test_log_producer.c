/*
 * Idempotent producer state (broker/log/log_producer.h): Kafka 2.8's rules
 * for duplicates, gaps, epochs and unknown producers, the five-batch window
 * and expiry; and through the log, the duplicate answer of a leader append,
 * the state followers build, and its rebuild on reopen and truncation.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/log/log.h"
#include "broker/log/log_bg.h"
#include "broker/log/log_producer.h"
#include "broker/log/log_producer_snapshot.h"
#include "common/buf.h"
#include "common/bytes.h"
#include "common/err.h"
#include "tests/unit/testbatch.h"
#include "tests/unit/testutil.h"

static struct log_batch_hdr hdr(int64_t pid, int16_t epoch, int32_t seq, int32_t count,
                                int64_t base_offset)
{
    return (struct log_batch_hdr){.base_offset = base_offset, .producer_id = pid,
                                  .producer_epoch = epoch, .base_sequence = seq,
                                  .record_count = count, .last_offset_delta = count - 1,
                                  .max_timestamp = 5000, .magic = 2};
}

static int check(struct log_producers *ps, struct log_batch_hdr h, struct log_producer_batch *dup)
{
    char why[200];
    struct log_producer_batch d;
    return log_producers_check(ps, &h, dup ? dup : &d, why, sizeof(why));
}

static void record(struct log_producers *ps, struct log_batch_hdr h)
{
    CU_ASSERT_EQUAL(log_producers_record(ps, &h), 0);
}

static void test_sequence_rules(void)
{
    struct log_producers ps;
    log_producers_init(&ps);
    /* Unknown: any sequence starts it (KIP-360, Kafka 2.8). */
    CU_ASSERT_EQUAL(check(&ps, hdr(7, 0, 0, 3, -1), NULL), LOG_PRODUCER_APPEND);
    CU_ASSERT_EQUAL(check(&ps, hdr(7, 0, 42, 3, -1), NULL), LOG_PRODUCER_APPEND);
    record(&ps, hdr(7, 0, 0, 3, 100)); /* seq 0..2 at 100..102 */
    /* The next in sequence, a gap, one behind, a replay. */
    CU_ASSERT_EQUAL(check(&ps, hdr(7, 0, 3, 1, -1), NULL), LOG_PRODUCER_APPEND);
    CU_ASSERT_EQUAL(check(&ps, hdr(7, 0, 4, 1, -1), NULL), GR_E_OUT_OF_SEQUENCE);
    CU_ASSERT_EQUAL(check(&ps, hdr(7, 0, 2, 1, -1), NULL), GR_E_OUT_OF_SEQUENCE);
    struct log_producer_batch dup;
    CU_ASSERT_EQUAL(check(&ps, hdr(7, 0, 0, 3, -1), &dup), LOG_PRODUCER_DUPLICATE);
    CU_ASSERT_EQUAL(dup.first_offset, 100);
    CU_ASSERT_EQUAL(dup.last_offset, 102);
    /* The same first sequence with another length is not that batch. */
    CU_ASSERT_EQUAL(check(&ps, hdr(7, 0, 0, 2, -1), NULL), GR_E_OUT_OF_SEQUENCE);
    /* Negative sequences and epochs are refused outright. */
    CU_ASSERT_EQUAL(check(&ps, hdr(7, 0, -1, 1, -1), NULL), GR_E_BAD_RECORD);
    CU_ASSERT_EQUAL(check(&ps, hdr(7, -3, 3, 1, -1), NULL), GR_E_PRODUCER_EPOCH);
    CU_ASSERT_EQUAL(check(&ps, hdr(8, -1, 0, 1, -1), NULL), GR_E_PRODUCER_EPOCH);
    /* Other producers are independent. */
    CU_ASSERT_EQUAL(check(&ps, hdr(8, 0, 9, 1, -1), NULL), LOG_PRODUCER_APPEND);
    log_producers_destroy(&ps);
}

static void test_epochs(void)
{
    struct log_producers ps;
    log_producers_init(&ps);
    record(&ps, hdr(1, 2, 0, 5, 0));
    /* A newer epoch starts at 0; anything else is out of sequence. */
    CU_ASSERT_EQUAL(check(&ps, hdr(1, 3, 5, 1, -1), NULL), GR_E_OUT_OF_SEQUENCE);
    CU_ASSERT_EQUAL(check(&ps, hdr(1, 3, 0, 1, -1), NULL), LOG_PRODUCER_APPEND);
    /* An older epoch is fenced, a replay of its batch included. */
    record(&ps, hdr(1, 3, 0, 1, 5));
    CU_ASSERT_EQUAL(check(&ps, hdr(1, 2, 5, 1, -1), NULL), GR_E_PRODUCER_EPOCH);
    CU_ASSERT_EQUAL(check(&ps, hdr(1, 2, 0, 5, -1), NULL), GR_E_PRODUCER_EPOCH);
    /* The new epoch replaced the old batches. */
    const struct log_producer *e = log_producers_find(&ps, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->epoch, 3);
    CU_ASSERT_EQUAL(e->nbatches, 1);
    log_producers_destroy(&ps);
}

static void test_five_batch_window_and_wrap(void)
{
    struct log_producers ps;
    log_producers_init(&ps);
    for (int i = 0; i < 7; i++)
        record(&ps, hdr(3, 0, i * 2, 2, 1000 + i * 2));
    /* Batches 2..6 are remembered, 0 and 1 are not. */
    for (int i = 0; i < 7; i++) {
        struct log_producer_batch dup;
        int rc = check(&ps, hdr(3, 0, i * 2, 2, -1), &dup);
        if (i < 2) {
            CU_ASSERT_EQUAL(rc, GR_E_OUT_OF_SEQUENCE);
        } else {
            CU_ASSERT_EQUAL(rc, LOG_PRODUCER_DUPLICATE);
            CU_ASSERT_EQUAL(dup.first_offset, 1000 + i * 2);
        }
    }
    CU_ASSERT_EQUAL(check(&ps, hdr(3, 0, 14, 1, -1), NULL), LOG_PRODUCER_APPEND);
    /* Sequences wrap to 0 after INT32_MAX. */
    record(&ps, hdr(4, 0, INT32_MAX - 1, 3, 0)); /* INT32_MAX-1, INT32_MAX, 0 */
    CU_ASSERT_EQUAL(check(&ps, hdr(4, 0, 1, 1, -1), NULL), LOG_PRODUCER_APPEND);
    CU_ASSERT_EQUAL(check(&ps, hdr(4, 0, INT32_MAX - 1, 3, -1), NULL), LOG_PRODUCER_DUPLICATE);
    record(&ps, hdr(5, 0, INT32_MAX - 1, 2, 0)); /* ends at INT32_MAX */
    CU_ASSERT_EQUAL(check(&ps, hdr(5, 0, 0, 1, -1), NULL), LOG_PRODUCER_APPEND);
    log_producers_destroy(&ps);
}

static void test_many_producers_and_expiry(void)
{
    struct log_producers ps;
    log_producers_init(&ps);
    for (int64_t pid = 0; pid < 3000; pid++) {
        struct log_batch_hdr h = hdr(pid, 0, 0, 1, pid);
        h.max_timestamp = pid < 1000 ? 1000 : 9000;
        record(&ps, h);
    }
    CU_ASSERT_EQUAL(ps.count, 3000);
    for (int64_t pid = 0; pid < 3000; pid += 97)
        CU_ASSERT_EQUAL(check(&ps, hdr(pid, 0, 0, 1, -1), NULL), LOG_PRODUCER_DUPLICATE);
    /* At 10000 with a 5000 ms expiry the first thousand go. */
    CU_ASSERT_EQUAL(log_producers_expire(&ps, 10000, 5000), 1000);
    CU_ASSERT_EQUAL(ps.count, 2000);
    CU_ASSERT_PTR_NULL(log_producers_find(&ps, 5));
    CU_ASSERT_PTR_NOT_NULL(log_producers_find(&ps, 2500));
    /* An expired producer is unknown again: any sequence is taken. */
    CU_ASSERT_EQUAL(check(&ps, hdr(5, 0, 17, 1, -1), NULL), LOG_PRODUCER_APPEND);
    CU_ASSERT_EQUAL(log_producers_expire(&ps, 20000, 5000), 2000);
    CU_ASSERT_EQUAL(ps.count, 0);
    log_producers_destroy(&ps);
}


static void test_snapshot_codec(void)
{
    struct log_producers ps, back;
    log_producers_init(&ps);
    log_producers_init(&back);
    record(&ps, hdr(1, 0, 0, 3, 10));
    record(&ps, hdr(1, 0, 3, 2, 13)); /* the last batch of 1: seq 3..4 at 13..14 */
    record(&ps, hdr(2, 4, INT32_MAX - 1, 3, 20)); /* wraps: INT32_MAX-1 .. 0 */
    struct buf b;
    buf_init(&b);
    log_producer_snapshot_encode(&ps, &b);
    CU_ASSERT_EQUAL_FATAL(b.len, 10 + 2 * 46);
    CU_ASSERT_EQUAL(be16_load(b.data), 1);
    char why[200];
    CU_ASSERT_EQUAL_FATAL(log_producer_snapshot_decode(&back, b.data, b.len, why, sizeof(why)), 0);
    struct log_producer_batch dup;
    /* Only each producer's last batch comes back, as from Kafka's files. */
    CU_ASSERT_EQUAL(check(&back, hdr(1, 0, 3, 2, -1), &dup), LOG_PRODUCER_DUPLICATE);
    CU_ASSERT_EQUAL(dup.first_offset, 13);
    CU_ASSERT_EQUAL(dup.last_offset, 14);
    CU_ASSERT_EQUAL(check(&back, hdr(1, 0, 0, 3, -1), NULL), GR_E_OUT_OF_SEQUENCE);
    CU_ASSERT_EQUAL(check(&back, hdr(1, 0, 5, 1, -1), NULL), LOG_PRODUCER_APPEND);
    CU_ASSERT_EQUAL(check(&back, hdr(2, 4, INT32_MAX - 1, 3, -1), &dup), LOG_PRODUCER_DUPLICATE);
    CU_ASSERT_EQUAL(dup.first_offset, 20);
    CU_ASSERT_EQUAL(check(&back, hdr(2, 4, 1, 1, -1), NULL), LOG_PRODUCER_APPEND);
    /* A flipped bit, a short file, another version: refused. */
    struct log_producers bad;
    log_producers_init(&bad);
    b.data[20] ^= 1;
    CU_ASSERT_EQUAL(log_producer_snapshot_decode(&bad, b.data, b.len, why, sizeof(why)),
                    GR_E_CORRUPT);
    b.data[20] ^= 1;
    CU_ASSERT_EQUAL(log_producer_snapshot_decode(&bad, b.data, b.len - 1, why, sizeof(why)),
                    GR_E_CORRUPT);
    be16_store(b.data, 2);
    CU_ASSERT_EQUAL(log_producer_snapshot_decode(&bad, b.data, b.len, why, sizeof(why)),
                    GR_E_CORRUPT);
    buf_destroy(&b);
    log_producers_destroy(&bad);
    log_producers_destroy(&back);
    log_producers_destroy(&ps);
}

/* --- through the log ---------------------------------------------------- */

static char *root;
static struct log_bg *bg;

static int setup(void)
{
    root = test_tmpdir("logprod");
    bg = log_bg_new();
    return bg ? 0 : -1;
}

static int teardown(void)
{
    log_bg_free(bg);
    test_rmtree(root);
    free(root);
    return 0;
}

static struct log *open_log(const char *dir)
{
    struct log_config c = testbatch_log_config();
    c.segment_bytes = 3000; /* a few batches per segment: the rebuild crosses them */
    struct log_open_args a = {.dir = dir, .topic = "t", .partition = 0, .config = &c,
                              .log_start_offset = -1, .clean_shutdown = true, .bg = bg,
                              .now_ms = 1000};
    struct log *l = NULL;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(log_open(&a, &l, err, sizeof(err)), 0);
    return l;
}

/* A batch of count records from producer pid at epoch and seq, in b. */
static void build(struct buf *b, int64_t pid, int16_t epoch, int32_t seq, int count)
{
    buf_reset(b);
    struct testbatch_opts o = {.count = count, .value_size = 200, .timestamp = 1000};
    testbatch_build(b, &o);
    be64_store(b->data + LOG_BATCH_OFF_PRODUCER_ID, (uint64_t)pid);
    be16_store(b->data + LOG_BATCH_OFF_PRODUCER_ID + 8, (uint16_t)epoch);
    be32_store(b->data + LOG_BATCH_OFF_PRODUCER_ID + 10, (uint32_t)seq);
    testbatch_fix_crc(b->data);
}

static int produce(struct log *l, int64_t pid, int16_t epoch, int32_t seq, int count,
                   struct log_append_info *info)
{
    struct buf b;
    buf_init(&b);
    build(&b, pid, epoch, seq, count);
    char why[200];
    int rc = log_append_leader(l, b.data, b.len, 1, 1000, info, why, sizeof(why));
    buf_destroy(&b);
    return rc;
}

static void test_leader_append_dedupes_and_survives_reopen(void)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/t-0", root);
    struct log *l = open_log(dir);
    struct log_append_info info;
    for (int i = 0; i < 10; i++) {
        CU_ASSERT_EQUAL(produce(l, 77, 0, i * 3, 3, &info), 0);
        CU_ASSERT_FALSE(info.duplicate);
        CU_ASSERT_EQUAL(info.first_offset, i * 3);
    }
    CU_ASSERT_TRUE(l->nsegs > 2);
    /* Batches without a producer id are not checked. */
    CU_ASSERT_EQUAL(produce(l, -1, -1, -1, 2, &info), 0);
    CU_ASSERT_EQUAL(log_end_offset(l), 32);
    /* A retry of the last batch: its offsets, nothing written. */
    CU_ASSERT_EQUAL(produce(l, 77, 0, 27, 3, &info), 0);
    CU_ASSERT_TRUE(info.duplicate);
    CU_ASSERT_EQUAL(info.first_offset, 27);
    CU_ASSERT_EQUAL(info.last_offset, 29);
    CU_ASSERT_EQUAL(log_end_offset(l), 32);
    CU_ASSERT_EQUAL(produce(l, 77, 0, 33, 3, &info), GR_E_OUT_OF_SEQUENCE);
    CU_ASSERT_EQUAL(log_end_offset(l), 32);
    log_release(l);
    log_bg_drain(bg);

    /* Reopened: the state comes back from the log. */
    l = open_log(dir);
    CU_ASSERT_EQUAL(produce(l, 77, 0, 24, 3, &info), 0);
    CU_ASSERT_TRUE(info.duplicate);
    CU_ASSERT_EQUAL(info.first_offset, 24);
    CU_ASSERT_EQUAL(produce(l, 77, 0, 31, 1, &info), GR_E_OUT_OF_SEQUENCE);
    CU_ASSERT_EQUAL(produce(l, 77, 0, 30, 1, &info), 0);
    CU_ASSERT_FALSE(info.duplicate);
    CU_ASSERT_EQUAL(info.first_offset, 32);

    /* Truncation below the last batches: the state is read again, and the
     * removed batch's retry is a new append. */
    CU_ASSERT_EQUAL(log_truncate_to(l, 27), 0);
    CU_ASSERT_EQUAL(produce(l, 77, 0, 27, 3, &info), 0);
    CU_ASSERT_FALSE(info.duplicate);
    CU_ASSERT_EQUAL(info.first_offset, 27);
    log_release(l);
    log_bg_drain(bg);
}


/* The offset of the newest snapshot file in dir, or -1. */
static int64_t newest_snapshot(const char *dir)
{
    int64_t best = -1;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n > 9 && !strcmp(de->d_name + n - 9, ".snapshot")) {
            int64_t v = strtoll(de->d_name, NULL, 10);
            if (v > best)
                best = v;
        }
    }
    if (d)
        closedir(d);
    return best;
}

static void write_snapshot(const char *dir, int64_t offset, const struct log_producers *ps)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%020lld.snapshot", dir, (long long)offset);
    struct buf b;
    buf_init(&b);
    log_producer_snapshot_encode(ps, &b);
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(b.data, 1, b.len, f), b.len);
    fclose(f);
    buf_destroy(&b);
}

static void test_snapshots_bound_the_rebuild(void)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/t-2", root);
    struct log *l = open_log(dir);
    struct log_append_info info;
    for (int i = 0; i < 40; i++)
        CU_ASSERT_EQUAL(produce(l, 77, 0, i, 1, &info), 0);
    int nsegs = l->nsegs;
    CU_ASSERT_TRUE_FATAL(nsegs >= 4);
    int64_t active = log_active(l)->base_offset, leo = log_end_offset(l);
    log_release(l);
    log_bg_drain(bg);
    /* One per roll, the last two kept, the newest at the active segment. */
    CU_ASSERT_EQUAL(test_count_files(dir, ".snapshot"), 2);
    CU_ASSERT_EQUAL(newest_snapshot(dir), active);

    /* Replace the newest with one naming a producer the log never saw: the
     * reopened log believes it, so it read the snapshot, not the log before
     * it; the batches after it are still read. */
    struct log_producers fake;
    log_producers_init(&fake);
    record(&fake, hdr(999, 0, 0, 1, active - 1));
    write_snapshot(dir, active, &fake);
    log_producers_destroy(&fake);
    /* A snapshot past the log end (a lost tail) is removed, not used. */
    write_snapshot(dir, leo + 50, &fake);
    l = open_log(dir);
    CU_ASSERT_EQUAL(produce(l, 999, 0, 0, 1, &info), 0);
    CU_ASSERT_TRUE(info.duplicate);
    CU_ASSERT_EQUAL(info.first_offset, active - 1);
    CU_ASSERT_EQUAL(produce(l, 77, 0, 39, 1, &info), 0);
    CU_ASSERT_TRUE(info.duplicate);
    CU_ASSERT_EQUAL(info.first_offset, 39);
    log_bg_drain(bg);
    CU_ASSERT_EQUAL(newest_snapshot(dir), active);

    /* Truncation below it removes it: the state comes from the older one
     * and the log after that. */
    CU_ASSERT_EQUAL(log_truncate_to(l, active - 1), 0);
    log_bg_drain(bg);
    CU_ASSERT_TRUE(newest_snapshot(dir) < active - 1);
    CU_ASSERT_EQUAL(produce(l, 999, 0, 0, 1, &info), 0);
    CU_ASSERT_FALSE(info.duplicate); /* the fake is gone with its file */
    CU_ASSERT_EQUAL(produce(l, 77, 0, (int32_t)active - 2, 1, &info), 0);
    CU_ASSERT_TRUE(info.duplicate);
    CU_ASSERT_EQUAL(info.first_offset, active - 2);
    log_release(l);
    log_bg_drain(bg);
}

static void test_follower_builds_state(void)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/t-1", root);
    struct log *l = open_log(dir);
    struct buf b;
    buf_init(&b);
    build(&b, 5, 2, 0, 4);
    be64_store(b.data, 0); /* the leader's offsets */
    struct log_append_info info;
    char why[200];
    CU_ASSERT_EQUAL(log_append_follower(l, b.data, b.len, 1000, &info, why, sizeof(why)), 0);
    buf_destroy(&b);
    /* Promoted, it answers the producer's retry from what it replicated. */
    CU_ASSERT_EQUAL(produce(l, 5, 2, 0, 4, &info), 0);
    CU_ASSERT_TRUE(info.duplicate);
    CU_ASSERT_EQUAL(info.first_offset, 0);
    CU_ASSERT_EQUAL(produce(l, 5, 1, 4, 1, &info), GR_E_PRODUCER_EPOCH);
    log_release(l);
    log_bg_drain(bg);
}

int main(void)
{
    static CU_TestInfo state_tests[] = {
        {"sequence: next, gap, replay, unknown producer", test_sequence_rules},
        {"epochs: new epoch starts at 0, older ones are fenced", test_epochs},
        {"five batches are remembered; sequences wrap", test_five_batch_window_and_wrap},
        {"thousands of producers; expiry", test_many_producers_and_expiry},
        {"Kafka's snapshot format, round trip and damage", test_snapshot_codec},
        CU_TEST_INFO_NULL};
    static CU_TestInfo log_tests[] = {
        {"a leader answers a retry with its offsets, also after reopening and truncation",
         test_leader_append_dedupes_and_survives_reopen},
        {"a follower builds the state from what it replicates", test_follower_builds_state},
        {"snapshots at rolls bound the rebuild; stale ones are removed",
         test_snapshots_bound_the_rebuild},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"producer state", NULL, NULL, NULL, NULL, state_tests},
                                    {"producer state in the log", setup, teardown, NULL, NULL,
                                     log_tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_log_producer", suites);
}
