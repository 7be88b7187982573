/*
 * Delayed operations (see delay.h).
 *
 * Each key's watches form a doubly linked list whose head the keymap holds;
 * an operation's watches are chained through op_next, so ending an
 * operation unlinks exactly its own watches. delay_wake() first asks every
 * watcher of the key (the lists do not change while ready() runs), moves the
 * ready operations to the completing list, unlinks them, and only then runs
 * their complete() callbacks: a callback may cancel an operation that is
 * still on that list, which simply takes it off.
 */
#include "broker/core/delay.h"

#include <string.h>

#include "common/err.h"

void delay_init(struct delay *d, struct ev_loop *loop)
{
    memset(d, 0, sizeof(*d));
    d->loop = loop;
    keymap_init(&d->keys);
}

void delay_destroy(struct delay *d)
{
    keymap_destroy(&d->keys);
}

void delay_op_init(struct delay_op *op,
                   bool (*ready)(struct delay_op *op, struct delay_watch *w, void *arg),
                   void (*complete)(struct delay_op *op, bool timed_out))
{
    memset(op, 0, sizeof(*op));
    op->ready = ready;
    op->complete = complete;
}

int delay_watch(struct delay *d, struct delay_op *op, struct delay_watch *w,
                struct keymap_key key, size_t tag)
{
    struct delay_watch *head = keymap_get(&d->keys, key);
    if (!head && keymap_put(&d->keys, key, w))
        return GR_E_NOMEM;
    w->key = key;
    w->op = op;
    w->tag = tag;
    w->prev = NULL;
    w->next = head;
    if (head) {
        head->prev = w;
        keymap_put(&d->keys, key, w); /* replaces a value: cannot fail */
    }
    w->op_next = op->watches;
    op->watches = w;
    d->nwatches++;
    return 0;
}

static void unlink_watch(struct delay *d, struct delay_watch *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else if (w->next)
        keymap_put(&d->keys, w->key, w->next); /* replaces a value: cannot fail */
    else
        keymap_del(&d->keys, w->key);
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
    d->nwatches--;
}

/* Removes every watch of op and its deadline. */
static void detach(struct delay *d, struct delay_op *op)
{
    for (struct delay_watch *w = op->watches; w; w = w->op_next)
        unlink_watch(d, w);
    op->watches = NULL;
    ev_timer_stop(d->loop, &op->timer);
}

static void timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
    struct delay_op *op = t->data;
    (void)loop;
    (void)revents;
    struct delay *d = op->d;
    detach(d, op);
    op->state = DELAY_IDLE;
    d->nwaiting--;
    op->complete(op, true);
}

void delay_start(struct delay *d, struct delay_op *op, int64_t timeout_ms)
{
    op->d = d;
    op->state = DELAY_WAITING;
    d->nwaiting++;
    ev_init(&op->timer, timeout_cb);
    op->timer.data = op;
    if (timeout_ms >= 0) {
        ev_timer_set(&op->timer, (double)timeout_ms / 1000.0, 0.);
        ev_timer_start(d->loop, &op->timer);
    }
}

static void completing_unlink(struct delay *d, struct delay_op *op)
{
    if (op->done_prev)
        op->done_prev->done_next = op->done_next;
    else
        d->completing = op->done_next;
    if (op->done_next)
        op->done_next->done_prev = op->done_prev;
    op->done_prev = op->done_next = NULL;
}

void delay_wake(struct delay *d, struct keymap_key key, void *arg)
{
    struct delay_op *tail = NULL;
    for (struct delay_op *o = d->completing; o; o = o->done_next)
        tail = o;
    for (struct delay_watch *w = keymap_get(&d->keys, key); w; w = w->next) {
        struct delay_op *op = w->op;
        if (op->state != DELAY_WAITING || !op->ready || !op->ready(op, w, arg))
            continue;
        op->state = DELAY_COMPLETING;
        op->done_prev = tail;
        op->done_next = NULL;
        if (tail)
            tail->done_next = op;
        else
            d->completing = op;
        tail = op;
    }
    for (struct delay_op *op = d->completing; op; op = op->done_next)
        detach(d, op);
    while (d->completing) {
        struct delay_op *op = d->completing;
        completing_unlink(d, op);
        op->state = DELAY_IDLE;
        d->nwaiting--;
        op->complete(op, false);
    }
}

void delay_cancel(struct delay *d, struct delay_op *op)
{
    if (op->state == DELAY_COMPLETING)
        completing_unlink(d, op);
    else
        detach(d, op); /* also the watches of an operation never started */
    if (op->state != DELAY_IDLE)
        d->nwaiting--;
    op->state = DELAY_IDLE;
}
