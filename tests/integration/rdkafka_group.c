/*
 * librdkafka consumer groups against gregor, from C: the integration suite
 * runs this with a broker it started and a topic it filled.
 *
 *   rdkafka_group BOOTSTRAP TOPIC PARTITIONS N
 *
 * Two high-level consumers of one group (cooperative-sticky assignor, so
 * the incremental protocol passes through the coordinator too) subscribe to
 * TOPIC, which holds N records spread evenly over PARTITIONS. They poll in
 * turn until every record has been read, the partitions are split evenly
 * with one owner each and each owner has read its partitions to the end;
 * each commits its position; the committed offsets
 * read back through rd_kafka_committed must be the log end of every
 * partition. Prints one line per failed check and exits 0 only if all
 * passed.
 */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/integration/rdkafka_check.h"

#define MAX_RECORDS 100000

static rd_kafka_t *member(const char *bootstrap, const char *topic)
{
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, err, sizeof(err)) ||
        rd_kafka_conf_set(c, "group.id", "rdkafka-c-group", err, sizeof(err)) ||
        rd_kafka_conf_set(c, "partition.assignment.strategy", "cooperative-sticky", err,
                          sizeof(err)) ||
        rd_kafka_conf_set(c, "auto.offset.reset", "earliest", err, sizeof(err)) ||
        rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof(err)) ||
        rd_kafka_conf_set(c, "session.timeout.ms", "6000", err, sizeof(err)) ||
        rd_kafka_conf_set(c, "heartbeat.interval.ms", "500", err, sizeof(err))) {
        fprintf(stderr, "config: %s\n", err);
        exit(2);
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "rd_kafka_new: %s\n", err);
        exit(2);
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    CHECK(!e, "subscribe: %s", rd_kafka_err2str(e));
    return rk;
}

/* How many partitions rk owns now, and which (bit i: partition i). */
static int owned(rd_kafka_t *rk, uint64_t *mask)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    *mask = 0;
    if (rd_kafka_assignment(rk, &a) || !a)
        return 0;
    for (int i = 0; i < a->cnt; i++)
        if (a->elems[i].partition < 64)
            *mask |= 1ull << a->elems[i].partition;
    int n = a->cnt;
    rd_kafka_topic_partition_list_destroy(a);
    return n;
}

/* Whether rk has read each partition it owns to its end (each holds per
 * records), so that what it commits is the log end. */
static int at_end(rd_kafka_t *rk, int per)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(rk, &a) || !a)
        return 0;
    int ok = !rd_kafka_position(rk, a);
    for (int i = 0; ok && i < a->cnt; i++)
        ok = a->elems[i].offset == per;
    rd_kafka_topic_partition_list_destroy(a);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: rdkafka_group BOOTSTRAP TOPIC PARTITIONS N\n");
        return 2;
    }
    const char *bootstrap = argv[1], *topic = argv[2];
    int parts = atoi(argv[3]), n = atoi(argv[4]);
    if (parts < 2 || parts > 64 || n <= 0 || n > MAX_RECORDS || n % parts) {
        fprintf(stderr, "PARTITIONS in 2..64, N a multiple of it up to %d\n", MAX_RECORDS);
        return 2;
    }
    static unsigned char seen[MAX_RECORDS];
    int distinct = 0;
    rd_kafka_t *rk[2] = {member(bootstrap, topic), member(bootstrap, topic)};
    time_t deadline = time(NULL) + 60;
    uint64_t m0 = 0, m1 = 0;
    int n0 = 0, n1 = 0;
    while (time(NULL) < deadline) {
        for (int i = 0; i < 2; i++) {
            rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk[i], 50);
            if (!msg)
                continue;
            if (!msg->err && msg->partition >= 0 && msg->partition < parts && msg->offset >= 0 &&
                msg->offset < n / parts) {
                int64_t k = msg->partition * (int64_t)(n / parts) + msg->offset;
                distinct += !seen[k];
                seen[k] = 1;
            }
            rd_kafka_message_destroy(msg);
        }
        n0 = owned(rk[0], &m0);
        n1 = owned(rk[1], &m1);
        if (distinct == n && n0 == parts / 2 && n1 == parts - parts / 2 && !(m0 & m1) &&
            at_end(rk[0], n / parts) && at_end(rk[1], n / parts))
            break;
    }
    CHECK(distinct == n, "read %d of %d records", distinct, n);
    CHECK(n0 + n1 == parts && !(m0 & m1) && n0 == parts / 2,
          "assignments of %d and %d partitions (masks %" PRIx64 ", %" PRIx64 ")", n0, n1, m0, m1);

    for (int i = 0; i < 2; i++) {
        rd_kafka_resp_err_t e = rd_kafka_commit(rk[i], NULL, 0);
        CHECK(!e || e == RD_KAFKA_RESP_ERR__NO_OFFSET, "commit of member %d: %s", i,
              rd_kafka_err2str(e));
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
    for (int p = 0; p < parts; p++)
        rd_kafka_topic_partition_list_add(l, topic, p);
    rd_kafka_resp_err_t e = rd_kafka_committed(rk[0], l, 10000);
    CHECK(!e, "committed: %s", rd_kafka_err2str(e));
    for (int i = 0; !e && i < l->cnt; i++)
        CHECK(l->elems[i].offset == n / parts && !l->elems[i].err,
              "partition %d: committed offset %" PRId64 " (%s), expected %d", l->elems[i].partition,
              l->elems[i].offset, rd_kafka_err2str(l->elems[i].err), n / parts);
    rd_kafka_topic_partition_list_destroy(l);

    for (int i = 0; i < 2; i++) {
        rd_kafka_consumer_close(rk[i]);
        rd_kafka_destroy(rk[i]);
    }
    if (failures)
        fprintf(stderr, "%d checks failed\n", failures);
    return failures ? 1 : 0;
}
