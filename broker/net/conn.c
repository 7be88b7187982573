/*
 * Client connections: framing, request queue, ordered responses (see conn.h).
 *
 * Reading: small frames are read in bulk into a staging buffer and copied
 * out whole; a frame larger than the staging buffer gets its own buffer,
 * grown as its bytes arrive (never to a size the client only claimed), and
 * is read into directly. Writing: the head of the queue is sent once its
 * response is ready; memory chunks go out with writev, file chunks with
 * sendfile, and a partial write waits for EV_WRITE.
 */
#define LOG_COMPONENT "conn"
#include "broker/net/conn.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "broker/core/broker.h"
#include "broker/net/request.h"
#include "common/bytes.h"
#include "common/logger.h"

#define RBUF_SIZE (32 * 1024)
#define MAX_IOV 64
/* Reads per readiness event, so one busy client cannot starve the others. */
#define READS_PER_EVENT 16

static void io_cb(struct ev_loop *loop, ev_io *w, int revents);
static void idle_cb(struct ev_loop *loop, ev_timer *w, int revents);

static void update_io(struct conn *c)
{
    int want = (c->reading ? EV_READ : 0) | (c->writing ? EV_WRITE : 0);
    if ((c->io.events & (EV_READ | EV_WRITE)) == want && ev_is_active(&c->io))
        return;
    ev_io_stop(c->b->loop, &c->io);
    if (want) {
        ev_io_set(&c->io, c->fd, want);
        ev_io_start(c->b->loop, &c->io);
    }
}

struct conn *conn_new(struct broker *b, int fd, const struct config_listener *l,
                      const char *peer)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (c)
        c->rbuf = malloc(RBUF_SIZE);
    if (!c || !c->rbuf) {
        free(c);
        close(fd);
        return NULL;
    }
    c->b = b;
    c->fd = fd;
    c->id = ++b->next_conn_id;
    c->listener = l;
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    ev_io_init(&c->io, io_cb, fd, EV_READ);
    c->io.data = c;
    c->reading = true;
    ev_io_start(b->loop, &c->io);
    double idle = b->cfg->connections_max_idle_ms > 0 ? b->cfg->connections_max_idle_ms / 1000.0
                                                      : 0;
    ev_init(&c->idle, idle_cb);
    c->idle.repeat = idle;
    c->idle.data = c;
    if (idle > 0)
        ev_timer_again(b->loop, &c->idle);
    c->next = b->conns;
    if (b->conns)
        b->conns->prev = c;
    b->conns = c;
    b->nconns++;
    LOG_DEBUG("connection %llu from %s on %s", (unsigned long long)c->id, peer, l->name);
    return c;
}

void conn_close(struct conn *c, const char *reason)
{
    if (c->closed)
        return;
    struct broker *b = c->b;
    c->closed = true;
    if (reason)
        LOG_INFO("closing connection from %s: %s", c->peer, reason);
    ev_io_stop(b->loop, &c->io);
    ev_timer_stop(b->loop, &c->idle);
    close(c->fd);
    c->fd = -1;
    while (c->head) {
        struct request *req = c->head;
        c->head = req->next;
        req->conn = NULL;
        if (req->state == REQ_PENDING && req->cancel) {
            void (*cancel)(struct request *) = req->cancel;
            req->cancel = NULL;
            cancel(req);
        }
        request_unref(req);
    }
    c->tail = NULL;
    c->nreq = 0;
    /* Unlink from the live list; the safe point frees it. */
    if (c->prev)
        c->prev->next = c->next;
    else
        b->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = NULL;
    c->next = b->dead;
    b->dead = c;
    b->nconns--;
}

void conn_free(struct conn *c)
{
    free(c->rbuf);
    free(c->frame);
    free(c);
}

static void idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct conn *c = w->data;
    (void)loop;
    (void)revents;
    if (c->nreq == 0)
        conn_close(c, "idle for longer than connections.max.idle.ms");
    else
        ev_timer_again(c->b->loop, &c->idle);
}

/* A whole frame arrived (takes ownership). */
static void frame_ready(struct conn *c, uint8_t *frame, size_t len)
{
    struct request *req = request_new(c->b, c, frame, len);
    if (!req) {
        conn_close(c, "out of memory for a request");
        return;
    }
    if (c->tail)
        c->tail->next = req;
    else
        c->head = req;
    c->tail = req;
    c->nreq++;
    if (c->nreq >= c->b->cfg->queued_max_requests) {
        c->reading = false;
        update_io(c);
    }
    c->b->dispatch(req);
}

/* Checks a size prefix. Returns false (and closes) if it is unacceptable. */
static bool size_ok(struct conn *c, int32_t size)
{
    char why[160];
    if (size < 0 || size > c->b->cfg->socket_request_max_bytes) {
        snprintf(why, sizeof(why),
                 "request size %d is %s (socket.request.max.bytes is %d)", size,
                 size < 0 ? "negative" : "too large", c->b->cfg->socket_request_max_bytes);
        conn_close(c, why);
        return false;
    }
    return true;
}

/* Parses complete frames out of the staging buffer. */
static void parse_staged(struct conn *c)
{
    size_t pos = 0;
    while (!c->closed && c->rlen - pos >= 4) {
        int32_t size = (int32_t)be32_load(c->rbuf + pos);
        if (!size_ok(c, size))
            return;
        size_t have = c->rlen - pos - 4;
        if (have >= (size_t)size) {
            uint8_t *frame = malloc(size ? (size_t)size : 1);
            if (!frame) {
                conn_close(c, "out of memory for a request");
                return;
            }
            memcpy(frame, c->rbuf + pos + 4, (size_t)size);
            pos += 4 + (size_t)size;
            frame_ready(c, frame, (size_t)size);
        } else if ((size_t)size + 4 > RBUF_SIZE) {
            /* Too big to stage: read the rest straight into its own buffer,
             * which grows with the bytes that actually arrive. */
            /* Never larger than the frame: a read must not take bytes of
             * the next one. */
            size_t cap = RBUF_SIZE < (size_t)size ? RBUF_SIZE : (size_t)size;
            c->frame = malloc(cap);
            if (!c->frame) {
                conn_close(c, "out of memory for a request");
                return;
            }
            memcpy(c->frame, c->rbuf + pos + 4, have);
            c->frame_len = (size_t)size;
            c->frame_have = have;
            c->frame_cap = cap;
            pos = c->rlen;
            break;
        } else {
            break;
        }
    }
    if (c->closed)
        return;
    memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
    c->rlen -= pos;
}

static void do_read(struct conn *c)
{
    for (int i = 0; i < READS_PER_EVENT && c->reading && !c->closed; i++) {
        ssize_t n;
        if (c->frame) {
            /* Grow the buffer with the bytes that arrive, doubling at most,
             * so a client that only claims a big size costs little. */
            if (c->frame_have == c->frame_cap) {
                size_t cap = c->frame_cap * 2;
                if (cap > c->frame_len)
                    cap = c->frame_len;
                uint8_t *nf = realloc(c->frame, cap);
                if (!nf) {
                    conn_close(c, "out of memory for a request");
                    return;
                }
                c->frame = nf;
                c->frame_cap = cap;
            }
            n = read(c->fd, c->frame + c->frame_have, c->frame_cap - c->frame_have);
            if (n > 0) {
                c->frame_have += (size_t)n;
                if (c->frame_have == c->frame_len) {
                    uint8_t *frame = c->frame;
                    size_t len = c->frame_len;
                    c->frame = NULL;
                    c->frame_len = c->frame_have = c->frame_cap = 0;
                    frame_ready(c, frame, len);
                }
                continue;
            }
        } else {
            n = read(c->fd, c->rbuf + c->rlen, RBUF_SIZE - c->rlen);
            if (n > 0) {
                c->rlen += (size_t)n;
                parse_staged(c);
                continue;
            }
        }
        if (n == 0) {
            /* Clients close with a long-poll Fetch pending all the time;
             * only a half-sent request is worth a line. */
            conn_close(c, c->rlen || c->frame ? "client closed the connection in the middle of "
                                                "a request"
                                              : NULL);
            return;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        if (errno == EINTR)
            continue;
        char why[128];
        snprintf(why, sizeof(why), "read failed: %s", strerror(errno));
        conn_close(c, errno == ECONNRESET ? NULL : why);
        return;
    }
}

/* Sends what it can of the head responses. */
static void do_write(struct conn *c)
{
    while (c->head && !c->closed) {
        struct request *req = c->head;
        if (req->state == REQ_PENDING)
            break;
        if (req->state == REQ_DONE) {
            const struct proto_out_chunk *ch;
            size_t n = proto_out_chunks(&req->out, &ch);
            while (c->chunk < n) {
                ssize_t w;
                const struct proto_out_chunk *k = &ch[c->chunk];
                if (k->kind == PROTO_OUT_MEM) {
                    struct iovec iov[MAX_IOV];
                    int niov = 0;
                    for (size_t i = c->chunk; i < n && niov < MAX_IOV; i++) {
                        if (ch[i].kind != PROTO_OUT_MEM)
                            break;
                        size_t skip = i == c->chunk ? (size_t)c->chunk_off : 0;
                        iov[niov].iov_base = (void *)(proto_out_chunk_mem(&req->out, &ch[i]) + skip);
                        iov[niov].iov_len = ch[i].len - skip;
                        niov++;
                    }
                    w = writev(c->fd, iov, niov);
                    if (w > 0) {
                        /* Advance across the chunks written. */
                        size_t left = (size_t)w;
                        while (left) {
                            size_t rest = ch[c->chunk].len - (size_t)c->chunk_off;
                            if (left >= rest) {
                                left -= rest;
                                c->chunk++;
                                c->chunk_off = 0;
                            } else {
                                c->chunk_off += (int64_t)left;
                                left = 0;
                            }
                        }
                        continue;
                    }
                } else {
                    off_t off = (off_t)(k->file.pos + c->chunk_off);
                    size_t rest = (size_t)k->len - (size_t)c->chunk_off;
                    w = sendfile(c->fd, k->file.fd, &off, rest);
                    if (w > 0) {
                        c->chunk_off += w;
                        if ((size_t)c->chunk_off == k->len) {
                            c->chunk++;
                            c->chunk_off = 0;
                        }
                        continue;
                    }
                    if (w == 0) {
                        /* The segment was truncated under the response: the
                         * promised bytes no longer exist and the frame cannot
                         * be completed. */
                        conn_close(c, "record data shrank while being sent (log truncated)");
                        return;
                    }
                }
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    if (!c->writing) {
                        c->writing = true;
                        update_io(c);
                    }
                    return;
                }
                if (errno == EINTR)
                    continue;
                char why[128];
                snprintf(why, sizeof(why), "write failed: %s", strerror(errno));
                conn_close(c, errno == EPIPE || errno == ECONNRESET ? NULL : why);
                return;
            }
        }
        /* The head is fully sent (or needs no response). */
        c->head = req->next;
        if (!c->head)
            c->tail = NULL;
        c->nreq--;
        c->chunk = 0;
        c->chunk_off = 0;
        request_unref(req);
    }
    if (c->closed)
        return;
    bool want_read = c->nreq < c->b->cfg->queued_max_requests && c->b->phase != PHASE_STOPPING;
    if (c->writing || want_read != c->reading) {
        c->writing = false;
        c->reading = want_read;
        update_io(c);
    }
}

void conn_kick(struct conn *c)
{
    if (!c->closed && !c->writing)
        do_write(c);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct conn *c = w->data;
    (void)loop;
    if (revents & EV_WRITE)
        do_write(c);
    if ((revents & EV_READ) && !c->closed) {
        if (c->idle.repeat > 0)
            ev_timer_again(c->b->loop, &c->idle);
        do_read(c);
    }
}
