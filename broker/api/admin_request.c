/*
 * Shared flow of the topic admin requests (see admin_request.h).
 */
#include "broker/api/admin_request.h"

#include <stddef.h>
#include <string.h>

#include "broker/core/broker.h"
#include "broker/cluster/controller.h"
#include "broker/core/delay.h"
#include "broker/api/dedupe.h"
#include "broker/api/errmap.h"
#include "common/err.h"
#include "broker/net/request.h"

static char *copy(struct request *req, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *out = arena_alloc(&req->arena, n + 1);
    if (out)
        memcpy(out, s, n + 1);
    return out;
}

struct admin_req *admin_req_new(struct request *req, int n, int32_t timeout_ms)
{
    struct admin_req *ar = arena_alloc(&req->arena, sizeof(*ar));
    if (!ar || !(ar->items = arena_calloc(&req->arena, (size_t)n + 1, sizeof(*ar->items))))
        return NULL;
    ar->req = req;
    ar->n = n;
    ar->timeout_ms = timeout_ms;
    ar->pending = 0;
    ar->shown_upto = 0;
    admin_budget_init(req->b, &ar->bud);
    for (int i = 0; i < n; i++) {
        ar->items[i].ar = ar;
        ar->items[i].same_as = -1;
    }
    return ar;
}

bool admin_req_not_controller(struct admin_req *ar)
{
    struct broker *b = ar->req->b;
    /* Our own election result is authoritative before the /controller
     * watch has updated the cache. */
    if (b->ctl->active)
        return false;
    for (int i = 0; i < ar->n; i++) {
        ar->items[i].err = GR_E_NOT_CONTROLLER;
        ar->items[i].message = copy(ar->req, "This is not the correct controller for this cluster.");
    }
    return true;
}

void admin_req_started(struct admin_req *ar, int i, int err, const char *msg)
{
    struct admin_item *it = &ar->items[i];
    if (err == GR_PENDING) {
        ar->pending++;
        request_ref(ar->req);
        return;
    }
    it->err = err;
    if (err)
        it->message = copy(ar->req, msg);
}

/* Every metadata change asks again, so the items already seen are not
 * asked twice: a request of n topics costs O(n) checks over its whole wait,
 * not O(n) per change (a result that shows stays counted as shown). */
static bool all_shown(struct admin_req *ar)
{
    while (ar->shown_upto < ar->n) {
        const struct admin_item *it = &ar->items[ar->shown_upto];
        if (it->written && !ar->shown(ar, it))
            return false;
        ar->shown_upto++;
    }
    return true;
}

/* Marks the writes that did not show in time, then answers. */
static void finish(struct admin_req *ar, bool timed_out)
{
    for (int i = ar->shown_upto; timed_out && i < ar->n; i++) {
        struct admin_item *it = &ar->items[i];
        if (it->written && !ar->shown(ar, it)) {
            it->err = GR_E_TIMEOUT;
            it->message = copy(ar->req, "The operation was written to ZooKeeper but did not "
                                        "complete within timeout_ms; it will still take effect.");
        }
    }
    ar->respond(ar);
}

static bool metadata_ready(struct delay_op *op, struct delay_watch *w, void *arg)
{
    (void)w;
    (void)arg;
    return all_shown((struct admin_req *)((char *)op - offsetof(struct admin_req, wait.op)));
}

static void waited(struct delay_op *op, bool timed_out)
{
    struct admin_req *ar = (struct admin_req *)((char *)op - offsetof(struct admin_req, wait.op));
    struct request *req = ar->req;
    req_wait_end(&ar->wait);
    finish(ar, timed_out);
    request_unref(req);
}

/* Writes done: answer when the metadata shows every result, or when
 * timeout_ms has passed. */
static void writes_done(struct admin_req *ar)
{
    struct request *req = ar->req;
    if (all_shown(ar) || ar->timeout_ms <= 0 || !req->conn) {
        finish(ar, !all_shown(ar));
        return;
    }
    delay_op_init(&ar->wait.op, metadata_ready, waited);
    if (delay_watch(req->b->delay, &ar->wait.op, &ar->watch,
                    delay_key(req->b->md, DELAY_METADATA), 0)) {
        request_fail(req, "out of memory");
        return;
    }
    req_wait_start(req, &ar->wait, ar->timeout_ms);
}

void admin_req_write_done(int err, const char *message, void *arg)
{
    struct admin_item *it = arg;
    struct admin_req *ar = it->ar;
    struct request *req = ar->req;
    it->err = err;
    it->written = err == GR_OK;
    if (err)
        it->message = copy(req, message);
    if (--ar->pending == 0)
        writes_done(ar);
    request_unref(req);
}

void admin_req_run(struct admin_req *ar)
{
    if (ar->pending == 0)
        writes_done(ar);
}

int16_t admin_req_code(const struct admin_item *it)
{
    if (it->same_as >= 0)
        it = &it->ar->items[it->same_as];
    return errmap_kafka(it->err);
}

struct names_ctx {
    struct proto_str (*name)(const void *ctx, int32_t i);
    const void *ctx;
};

static void name_key(const void *ctx, int32_t i, struct proto_str *name, int32_t *num)
{
    const struct names_ctx *nc = ctx;
    *name = nc->name(nc->ctx, i);
    *num = 0;
}

int32_t *admin_req_repeats(struct admin_req *ar, struct proto_str (*name)(const void *ctx, int32_t i),
                           const void *ctx)
{
    struct names_ctx nc = {name, ctx};
    return dedupe_first(&ar->req->arena, ar->n, name_key, &nc);
}

struct proto_str admin_req_message(const struct admin_item *it)
{
    return it->message ? proto_str_cstr(it->message) : PROTO_STR_NULL;
}

bool *admin_req_repeated(struct admin_req *ar, struct proto_str (*name)(const void *ctx, int32_t i),
                         const void *ctx)
{
    const int32_t *first = admin_req_repeats(ar, name, ctx);
    bool *rep = arena_calloc(&ar->req->arena, (size_t)ar->n + 1, sizeof(bool));
    if (!first || !rep)
        return NULL;
    for (int32_t i = 0; i < ar->n; i++)
        if (first[i] != i)
            rep[i] = rep[first[i]] = true;
    return rep;
}
