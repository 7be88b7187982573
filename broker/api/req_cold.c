/*
 * Looking again after cold pages were read (see req_cold.h).
 */
#include "broker/api/req_cold.h"

#include "broker/core/broker.h"
#include "broker/log/log_manager.h"
#include "broker/net/request.h"

void req_cold_init(struct req_cold *rc, struct request *req, void (*again)(struct req_cold *rc))
{
    *rc = (struct req_cold){.req = req, .again = again};
}

struct log_cold *req_cold_slot(struct req_cold *rc, struct log_cold *slot)
{
    *slot = (struct log_cold){0};
    return rc->attempts < REQ_COLD_ATTEMPTS ? slot : NULL;
}

/* The queued count of the attempt in progress lives in pending; the
 * request reference is taken in req_cold_wait, before any read can finish
 * (completions run from the loop's poll of the reader, never inside this
 * call). */
static void read_done(void *ctx, int rc)
{
    struct req_cold *c = ctx;
    struct request *req = c->req;
    (void)rc; /* a failed read (file deleted meanwhile) just means: look again */
    if (--c->pending > 0)
        return;
    if (req->conn)
        c->again(c);
    request_unref(req);
}

void req_cold_add(struct req_cold *rc, struct log_cold *c)
{
    if (rc->pending >= REQ_COLD_PER_ATTEMPT) {
        log_cold_release(c); /* found again on the next attempt */
        return;
    }
    if (!log_warm_cold(log_manager_reader(rc->req->b->logs), c, read_done, rc))
        rc->pending++;
}

bool req_cold_wait(struct req_cold *rc)
{
    if (!rc->pending)
        return false;
    rc->attempts++;
    request_ref(rc->req);
    return true;
}
