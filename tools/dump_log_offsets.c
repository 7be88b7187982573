/*
 * --offsets-decoder for gregor-dump-log (see dump_log.h): Kafka 2.8's
 * GroupMetadataManager.formatRecordKeyAndValue on a __consumer_offsets
 * record. gregor keeps committed offsets in ZooKeeper and writes no records
 * there, so this decodes what another writer (or a copied Kafka segment)
 * left: offset commit keys (versions 0 and 1) with their values (versions 0
 * to 3) as Kafka prints them, and group metadata keys (version 2); a group
 * metadata value other than a tombstone is refused (Kafka prints it as
 * JSON in a HashMap's order, which gregor does not reproduce).
 */
#include "tools/dump_log.h"

#include <inttypes.h>
#include <stdio.h>

#include "common/bytes.h"

struct rd {
    const uint8_t *p, *end;
};

static void underflow(void)
{
    dl_die("java.nio.BufferUnderflowException", NULL, "%s", "");
}

static int64_t rd_int(struct rd *r, int n)
{
    if (r->end - r->p < n)
        underflow();
    int64_t v = n == 2   ? (int16_t)be16_load(r->p)
                : n == 4 ? (int32_t)be32_load(r->p)
                         : (int64_t)be64_load(r->p);
    r->p += n;
    return v;
}

/* A non-nullable STRING (int16 length). */
static void rd_string(struct rd *r, const char *field, const uint8_t **s, int16_t *len)
{
    *len = (int16_t)rd_int(r, 2);
    if (*len < 0)
        dl_die("java.lang.RuntimeException", NULL, "non-nullable field %s was serialized as null",
               field);
    if (r->end - r->p < *len)
        underflow();
    *s = r->p;
    r->p += *len;
}

void dl_offsets_print(const struct dl_record *rec, const char *prefix)
{
    if (rec->key_len < 0)
        dl_die("org.apache.kafka.common.KafkaException", NULL,
               "Failed to decode message using offset topic decoder (message had a missing key)");
    struct rd k = {rec->key, rec->key + rec->key_len};
    int16_t version = (int16_t)rd_int(&k, 2);
    const uint8_t *group, *topic;
    int16_t glen, tlen;
    if (version == 0 || version == 1) {
        rd_string(&k, "group", &group, &glen);
        rd_string(&k, "topic", &topic, &tlen);
        int32_t partition = (int32_t)rd_int(&k, 4);
        printf("%skey: offset_commit::group=%.*s,partition=%.*s-%" PRId32, prefix, glen,
               (const char *)group, tlen, (const char *)topic, partition);
        if (rec->value_len < 0) {
            fputs(" payload: <DELETE>", stdout);
            return;
        }
        struct rd v = {rec->value, rec->value + rec->value_len};
        int16_t vv = (int16_t)rd_int(&v, 2);
        if (vv < 0 || vv > 3)
            dl_die("java.lang.IllegalStateException", NULL, "Unknown offset message version: %d",
                   vv);
        int64_t offset = rd_int(&v, 8);
        if (vv >= 3)
            (void)rd_int(&v, 4); /* leaderEpoch */
        const uint8_t *meta;
        int16_t mlen;
        rd_string(&v, "metadata", &meta, &mlen);
        (void)rd_int(&v, 8); /* commitTimestamp */
        if (vv == 1)
            (void)rd_int(&v, 8); /* expireTimestamp */
        printf(" payload: offset=%" PRId64, offset);
        if (mlen > 0)
            printf(",metadata=%.*s", mlen, (const char *)meta);
    } else if (version == 2) {
        rd_string(&k, "group", &group, &glen);
        printf("%skey: group_metadata::group=%.*s", prefix, glen, (const char *)group);
        if (rec->value_len < 0) {
            fputs(" payload: <DELETE>", stdout);
            return;
        }
        dl_die("java.lang.UnsupportedOperationException",
               "(gregor-dump-log decodes offset commits and group metadata tombstones only)",
               "group metadata value of group %.*s at offset %" PRId64, glen, (const char *)group,
               rec->offset);
    } else {
        dl_die("java.lang.IllegalStateException", NULL,
               "Unknown group metadata message version: %d", version);
    }
}
