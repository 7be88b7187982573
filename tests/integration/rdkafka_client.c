/*
 * librdkafka against gregor, from C: the integration suite runs this with a
 * broker it started.
 *
 *   rdkafka_client BOOTSTRAP TOPIC N [idempotent]
 *
 * Produces N keyed records to partition 0 of TOPIC (acks=all, idempotence
 * off, or on with "idempotent") with record timestamps T0 + 10*i, checks every delivery report (offset
 * i), then consumes by manual assignment: from the middle, after a seek by
 * offset, and from the offset rd_kafka_offsets_for_times finds for a
 * timestamp, checking keys, values, offsets and timestamps. Prints one line
 * per failed check and exits 0 only if all passed.
 */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/integration/rdkafka_check.h"

static int64_t delivered_offsets[100000];
static const char *idempotence = "false"; /* enable.idempotence of the producer */
static int delivered, delivery_errors;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err) {
        delivery_errors++;
        fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
        return;
    }
    intptr_t i = (intptr_t)m->_private;
    if (i >= 0 && i < 100000)
        delivered_offsets[i] = m->offset;
    delivered++;
}

static rd_kafka_t *make(rd_kafka_type_t type, const char *bootstrap)
{
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, err, sizeof(err));
    if (type == RD_KAFKA_PRODUCER) {
        rd_kafka_conf_set(c, "acks", "all", err, sizeof(err));
        rd_kafka_conf_set(c, "enable.idempotence", idempotence, err, sizeof(err));
        rd_kafka_conf_set(c, "linger.ms", "5", err, sizeof(err));
        rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
    } else {
        rd_kafka_conf_set(c, "group.id", "rdkafka-client-test", err, sizeof(err));
        rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof(err));
    }
    rd_kafka_t *rk = rd_kafka_new(type, c, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "rd_kafka_new: %s\n", err);
        exit(2);
    }
    return rk;
}

/* Assigns partition 0 at offset and reads count records, checking each. */
static void consume_from(rd_kafka_t *rk, const char *topic, int64_t offset, int count, int n,
                         int64_t t0, const char *what)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, 0)->offset = offset;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    int got = 0;
    int64_t expect = offset;
    time_t deadline = time(NULL) + 30;
    while (got < count && time(NULL) < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                CHECK(0, "%s: consumer error %s", what, rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        char key[32], val[64];
        snprintf(key, sizeof(key), "key-%" PRId64, m->offset);
        snprintf(val, sizeof(val), "value-%" PRId64 "-%s", m->offset, "payload");
        rd_kafka_timestamp_type_t tt;
        int64_t ts = rd_kafka_message_timestamp(m, &tt);
        CHECK(m->offset == expect, "%s: offset %" PRId64 ", expected %" PRId64, what, m->offset,
              expect);
        CHECK(m->key_len == strlen(key) && !memcmp(m->key, key, m->key_len),
              "%s: wrong key at offset %" PRId64, what, m->offset);
        CHECK(m->len == strlen(val) && !memcmp(m->payload, val, m->len),
              "%s: wrong value at offset %" PRId64, what, m->offset);
        CHECK(ts == t0 + 10 * m->offset && tt == RD_KAFKA_TIMESTAMP_CREATE_TIME,
              "%s: timestamp %" PRId64 " at offset %" PRId64 ", expected %" PRId64, what, ts,
              m->offset, t0 + 10 * m->offset);
        expect = m->offset + 1;
        got++;
        rd_kafka_message_destroy(m);
        if (expect >= n)
            break;
    }
    CHECK(got == count, "%s: read %d records, expected %d", what, got, count);
}

int main(int argc, char **argv)
{
    if (argc != 4 && !(argc == 5 && !strcmp(argv[4], "idempotent"))) {
        fprintf(stderr, "usage: rdkafka_client BOOTSTRAP TOPIC N [idempotent]\n");
        return 2;
    }
    if (argc == 5)
        idempotence = "true";
    const char *bootstrap = argv[1], *topic = argv[2];
    int n = atoi(argv[3]);
    if (n < 200 || n > 100000) {
        fprintf(stderr, "N must be 200..100000\n");
        return 2;
    }
    int64_t t0 = 1700000000000;

    rd_kafka_t *p = make(RD_KAFKA_PRODUCER, bootstrap);
    for (intptr_t i = 0; i < n; i++) {
        char key[32], val[64];
        snprintf(key, sizeof(key), "key-%" PRIdPTR, i);
        snprintf(val, sizeof(val), "value-%" PRIdPTR "-%s", i, "payload");
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                      RD_KAFKA_V_KEY(key, strlen(key)),
                                      RD_KAFKA_V_VALUE(val, strlen(val)),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_TIMESTAMP(t0 + 10 * i), RD_KAFKA_V_OPAQUE((void *)i),
                                      RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(p, 10);
        CHECK(e == 0, "produce %" PRIdPTR ": %s", i, rd_kafka_err2str(e));
    }
    CHECK(rd_kafka_flush(p, 30000) == 0, "flush timed out");
    CHECK(delivered == n && delivery_errors == 0, "%d delivered, %d failed, of %d", delivered,
          delivery_errors, n);
    for (int i = 0; i < n && i < delivered; i++)
        CHECK(delivered_offsets[i] == i, "record %d was given offset %" PRId64, i,
              delivered_offsets[i]);
    rd_kafka_destroy(p);

    rd_kafka_t *c = make(RD_KAFKA_CONSUMER, bootstrap);
    consume_from(c, topic, n / 2, n - n / 2, n, t0, "assign at the middle");
    consume_from(c, topic, 10, 20, n, t0, "assign at offset 10");
    /* seek within the current assignment */
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(c, topic, NULL);
    CHECK(rd_kafka_seek(rkt, 0, 150, 5000) == 0, "seek to 150 failed");
    rd_kafka_topic_destroy(rkt);
    {
        int ok = 0;
        time_t deadline = time(NULL) + 15;
        while (!ok && time(NULL) < deadline) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 200);
            if (!m)
                continue;
            if (!m->err) {
                CHECK(m->offset == 150 || m->offset >= 30, "after seek got offset %" PRId64,
                      m->offset);
                ok = m->offset == 150;
            }
            rd_kafka_message_destroy(m);
        }
        CHECK(ok, "no record at offset 150 after the seek");
    }
    /* offsets_for_times: the record with timestamp t0 + 10*123 is offset 123;
     * a time between two records gives the next one. */
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(l, topic, 0)->offset = t0 + 10 * 123;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(c, l, 10000);
    CHECK(e == 0 && l->elems[0].err == 0, "offsets_for_times: %s", rd_kafka_err2str(e));
    CHECK(l->elems[0].offset == 123, "offsets_for_times found %" PRId64 ", expected 123",
          l->elems[0].offset);
    l->elems[0].offset = t0 + 10 * 200 - 5;
    e = rd_kafka_offsets_for_times(c, l, 10000);
    CHECK(e == 0 && l->elems[0].offset == 200, "offsets_for_times between records found %" PRId64,
          l->elems[0].offset);
    int64_t found = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    consume_from(c, topic, found, 10, n, t0, "assign at the offset found by time");
    int64_t lo = -1, hi = -1;
    e = rd_kafka_query_watermark_offsets(c, topic, 0, &lo, &hi, 10000);
    CHECK(e == 0 && lo == 0 && hi == n, "watermarks %" PRId64 "..%" PRId64 ", expected 0..%d", lo,
          hi, n);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    printf("rdkafka_client: %d failed checks\n", failures);
    return failures ? 1 : 0;
}
