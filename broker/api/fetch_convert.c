/*
 * Fetch answers down-converted for old consumers (see fetch_convert.h).
 */
#define LOG_COMPONENT "fetch"
#include "broker/api/fetch_convert.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/api/errmap.h"
#include "broker/log/log_batch_inner.h"
#include "broker/log/log_convert.h"
#include "broker/net/request.h"
#include "broker/proto/proto_errors.h"
#include "broker/proto/proto_msg.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/logger.h"

int fetch_convert_magic(int16_t version)
{
    return version <= 1 ? 0 : version <= 3 ? 1 : 2;
}

/* Drops o's records (releasing its file reference). */
static void drop_records(struct proto_FetchablePartitionResponse *o)
{
    struct proto_records *rs = &o->record_set;
    if (rs->kind == PROTO_RECORDS_FILE && rs->file.release)
        rs->file.release(rs->file.owner);
    rs->kind = PROTO_RECORDS_MEM;
    rs->mem = (struct proto_bytes){NULL, 0};
}

/* Reads the whole range (it was just brought into the page cache). */
static int read_range(const struct proto_out_file *f, uint8_t *dst)
{
    size_t done = 0, len = (size_t)f->len;
    while (done < len) {
        ssize_t n = pread(f->fd, dst + done, len - done, (off_t)(f->pos + (int64_t)done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? gr_err_from_errno(errno) : GR_E_IO; /* cut short: truncated meanwhile */
        done += (size_t)n;
    }
    return 0;
}

void fetch_down_convert(struct request *req, struct proto_FetchablePartitionResponse *o,
                        int64_t fetch_offset, int32_t max_bytes, bool allowed)
{
    struct proto_records *rs = &o->record_set;
    if (rs->kind != PROTO_RECORDS_FILE || rs->file.len <= 0)
        return;
    if (!allowed) {
        drop_records(o);
        o->error_code = PROTO_ERR_UNSUPPORTED_VERSION;
        return;
    }
    int magic = fetch_convert_magic(req->hdr.request_api_version);
    uint8_t *raw = malloc((size_t)rs->file.len);
    struct buf out;
    buf_init(&out);
    int64_t next = fetch_offset;
    char why[256] = "";
    int rc = raw ? read_range(&rs->file, raw) : GR_E_NOMEM;
    if (!rc)
        rc = log_convert_down(raw, (size_t)rs->file.len, magic, fetch_offset,
                              max_bytes > 0 ? (size_t)max_bytes : 0,
                              (uint64_t)LOG_BATCH_INFLATE_MIN, &out, &next, why, sizeof(why));
    free(raw);
    drop_records(o);
    uint8_t *copy = NULL;
    if (!rc && out.len > 0 && out.len <= INT32_MAX) {
        copy = arena_alloc(&req->arena, out.len);
        if (copy) {
            memcpy(copy, out.data, out.len);
            rs->mem = (struct proto_bytes){copy, (int32_t)out.len};
        } else {
            rc = GR_E_NOMEM;
        }
    }
    buf_destroy(&out);
    if (rc) {
        char desc[256];
        LOG_RATE(LOGGER_WARN, "down-converting partition %d for %s failed: %s", o->partition,
                 request_describe(req, desc, sizeof(desc)),
                 rc == GR_E_CORRUPT ? why : gr_strerror(rc));
        o->error_code = rc == GR_E_CORRUPT ? PROTO_ERR_CORRUPT_MESSAGE : errmap_kafka(rc);
    }
}
