/*
 * Produce v0-2 message sets up-converted before the append (see
 * produce_convert.h).
 */
#define LOG_COMPONENT "produce"
#include "broker/api/produce_convert.h"

#include <stdint.h>
#include <string.h>

#include "broker/cluster/partition.h"
#include "broker/log/log.h"
#include "broker/log/log_batch_inner.h"
#include "broker/log/log_convert.h"
#include "broker/net/request.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/logger.h"

int produce_up_convert(struct request *req, struct partition *p, struct proto_bytes *records,
                       const int64_t *inflate_left)
{
    int magic = records->ptr ? log_convert_magic(records->ptr, (size_t)records->len) : -1;
    if (magic != 0 && magic != 1)
        return GR_OK; /* a record batch, or too short for anything: the v2 path decides */
    /* One wrapper may inflate as far as a compressed batch may, and no
     * further than the request's budget has left. The budget itself is
     * charged by the v2 path, which inflates the re-compressed batch to the
     * same bytes: charging here too would count them twice. */
    int64_t bound = log_batch_inflate_max(p->log->config.max_message_bytes);
    uint64_t left = (uint64_t)(*inflate_left < bound ? (*inflate_left > 0 ? *inflate_left : 0)
                                                     : bound);
    struct buf out;
    int32_t n = 0;
    char why[256] = "";
    buf_init(&out);
    int rc = log_convert_up(records->ptr, (size_t)records->len, &left, &out, &n, why, sizeof(why));
    uint8_t *copy = NULL;
    if (!rc && out.len > INT32_MAX)
        rc = GR_E_TOO_LARGE;
    if (!rc) {
        copy = arena_alloc(&req->arena, out.len);
        if (copy)
            memcpy(copy, out.data, out.len);
        else
            rc = GR_E_NOMEM;
    }
    if (rc) {
        char desc[256];
        LOG_RATE(LOGGER_WARN, "rejected message set (magic %d) for %s-%d in %s: %s", magic,
                 p->tp.topic->name, p->tp.partition, request_describe(req, desc, sizeof(desc)),
                 rc == GR_E_NOMEM ? "out of memory" : why);
    } else {
        records->ptr = copy;
        records->len = (int32_t)out.len;
    }
    buf_destroy(&out);
    return rc;
}
