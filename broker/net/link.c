/*
 * Framed connections (see link.h).
 *
 * Reading: small frames are read in bulk into a staging buffer and copied
 * out whole; a frame larger than the staging buffer gets its own pooled
 * buffer (frame_buf.h) and is read into directly: up to 1 MiB at once, and
 * for a larger frame its whole size only once the peer has sent that first
 * MiB (a peer that only claims a big size costs 1 MiB, and a frame costs at
 * most one 1 MiB copy). Writing: the queue is walked segment by segment;
 * consecutive memory segments, across messages, go out in one writev.
 */
#include "broker/net/link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/net/frame_buf.h"
#include "broker/proto/proto_out.h"
#include "common/bytes.h"
#include "common/err.h"

#define RBUF_SIZE (32 * 1024)
/* A large frame's first buffer: its whole size up to this much. */
#define FIRST_BIG (1024 * 1024)
#define MAX_IOV   64
/* Reads per readiness event, so one busy peer cannot starve the others. */
#define READS_PER_EVENT 16

/* One range of a message: memory (mem non-NULL) or a file range. */
struct seg {
    const uint8_t *mem; /* the bytes, or NULL for a file range */
    int fd;             /* file range: the file */
    int64_t pos;        /* file range: first byte */
    size_t len;         /* bytes in the range */
};

static void io_cb(struct ev_loop *loop, ev_io *w, int revents);

static void update_io(struct link *l)
{
    if (l->closed)
        return;
    int want = (l->reading ? EV_READ : 0) | (l->writing || l->head ? EV_WRITE : 0);
    if ((l->io.events & (EV_READ | EV_WRITE)) == want && ev_is_active(&l->io))
        return;
    ev_io_stop(l->loop, &l->io);
    if (want) {
        ev_io_set(&l->io, l->tr.fd, want);
        ev_io_start(l->loop, &l->io);
    }
    /* Frames staged while reading was off are handed out from the loop,
     * never from inside the owner's call, and without waiting for the
     * peer to send more: it may be waiting for their answers. */
    if ((want & EV_READ) && l->staged)
        ev_feed_event(l->loop, &l->io, EV_READ);
}

int link_init(struct link *l, struct ev_loop *loop, const struct transport *tr,
              const struct link_ops *ops, int32_t max_frame, const char *max_frame_name)
{
    memset(l, 0, sizeof(*l));
    l->loop = loop;
    l->ops = ops;
    l->max_frame = max_frame;
    l->max_frame_name = max_frame_name;
    l->tr = *tr;
    ev_io_init(&l->io, io_cb, tr->fd, EV_READ);
    l->io.data = l;
    l->rbuf = malloc(RBUF_SIZE);
    if (!l->rbuf) {
        link_close(l);
        return GR_E_NOMEM;
    }
    l->reading = true;
    update_io(l);
    return 0;
}

void link_close(struct link *l)
{
    if (l->closed)
        return;
    l->closed = true;
    ev_io_stop(l->loop, &l->io);
    transport_close(&l->tr);
    l->head = l->tail = NULL;
    l->seg = l->seg_off = 0;
}

/* Tells the owner the memory of the frame in progress changed. */
static void held(struct link *l, ptrdiff_t delta)
{
    if (delta && l->ops->held)
        l->ops->held(l, delta);
}

void link_destroy(struct link *l)
{
    link_close(l);
    if (l->frame)
        held(l, -(ptrdiff_t)frame_buf_cap(l->frame));
    free(l->rbuf);
    frame_buf_free(l->frame);
    l->rbuf = l->frame = NULL;
}

static void fail(struct link *l, int err, const char *why)
{
    if (l->closed)
        return;
    link_close(l);
    l->ops->failed(l, err, why);
}

bool link_mid_frame(const struct link *l)
{
    return l->rlen > 0 || l->frame != NULL;
}

bool link_output_waiting(const struct link *l)
{
    return l->head != NULL;
}

void link_set_reading(struct link *l, bool on)
{
    l->reading = on;
    update_io(l);
}

/* ---- reading ---- */

/* Checks a size prefix; fails the link if it is unacceptable. */
static bool size_ok(struct link *l, int32_t size)
{
    if (size >= 0 && size <= l->max_frame)
        return true;
    char why[160];
    snprintf(why, sizeof(why), "frame size %d is %s (%s is %d)", size,
             size < 0 ? "negative" : "too large", l->max_frame_name, l->max_frame);
    fail(l, GR_E_TOO_LARGE, why);
    return false;
}

/* Moves a frame too big to stage into its own buffer, with the have bytes
 * of it already staged at p. */
static bool start_big_frame(struct link *l, const uint8_t *p, size_t have, size_t size)
{
    size_t got;
    l->frame = frame_buf_alloc(size < FIRST_BIG ? size : FIRST_BIG, &got);
    if (!l->frame) {
        fail(l, GR_E_NOMEM, "out of memory for a frame");
        return false;
    }
    memcpy(l->frame, p, have);
    l->frame_len = size;
    l->frame_have = have;
    /* Never read past the frame: a read must not take bytes of the next. */
    l->frame_cap = got < size ? got : size;
    held(l, (ptrdiff_t)got);
    return true;
}

/* Hands out the whole frames in the staging buffer while the owner wants
 * them: one that turns reading off (backpressure) gets no more until it
 * turns it on again. */
static void parse_staged(struct link *l)
{
    size_t pos = 0;
    while (!l->closed && l->reading && l->rlen - pos >= 4) {
        int32_t size = (int32_t)be32_load(l->rbuf + pos);
        if (!size_ok(l, size))
            return;
        size_t have = l->rlen - pos - 4;
        if (have >= (size_t)size) {
            uint8_t *frame = frame_buf_alloc((size_t)size, NULL);
            if (!frame) {
                fail(l, GR_E_NOMEM, "out of memory for a frame");
                return;
            }
            memcpy(frame, l->rbuf + pos + 4, (size_t)size);
            pos += 4 + (size_t)size;
            l->ops->frame(l, frame, (size_t)size);
        } else if ((size_t)size + 4 > RBUF_SIZE) {
            if (!start_big_frame(l, l->rbuf + pos + 4, have, (size_t)size))
                return;
            pos = l->rlen;
            break;
        } else {
            break;
        }
    }
    if (l->closed)
        return;
    memmove(l->rbuf, l->rbuf + pos, l->rlen - pos);
    l->rlen -= pos;
    l->staged = !l->reading && l->rlen >= 4;
}

/* Reads into the large frame; returns the transport's result. */
static ssize_t read_big_frame(struct link *l)
{
    /* The first MiB is in: the whole frame gets its buffer (one copy). */
    if (l->frame_have == l->frame_cap) {
        size_t got;
        uint8_t *nf = frame_buf_alloc(l->frame_len, &got);
        if (!nf)
            return GR_E_NOMEM;
        memcpy(nf, l->frame, l->frame_have);
        held(l, (ptrdiff_t)got - (ptrdiff_t)frame_buf_cap(l->frame));
        frame_buf_free(l->frame);
        l->frame = nf;
        l->frame_cap = l->frame_len;
    }
    ssize_t n = l->tr.ops->read(&l->tr, l->frame + l->frame_have, l->frame_cap - l->frame_have);
    if (n > 0) {
        l->frame_have += (size_t)n;
        if (l->frame_have == l->frame_len) {
            uint8_t *frame = l->frame;
            size_t len = l->frame_len;
            held(l, -(ptrdiff_t)frame_buf_cap(frame));
            l->frame = NULL;
            l->frame_len = l->frame_have = l->frame_cap = 0;
            l->ops->frame(l, frame, len);
        }
    }
    return n;
}

static void do_read(struct link *l)
{
    if (l->staged) {
        l->staged = false;
        parse_staged(l);
    }
    for (int i = 0; i < READS_PER_EVENT && l->reading && !l->closed; i++) {
        ssize_t n;
        if (l->frame) {
            n = read_big_frame(l);
        } else {
            n = l->tr.ops->read(&l->tr, l->rbuf + l->rlen, RBUF_SIZE - l->rlen);
            if (n > 0) {
                l->rlen += (size_t)n;
                parse_staged(l);
            }
        }
        if (n > 0)
            continue;
        if (n == GR_E_AGAIN)
            return;
        if (n == 0 || n == GR_E_NETWORK)
            /* Peers close with a long poll pending all the time; only a
             * half-sent frame is worth a line. */
            fail(l, GR_E_NETWORK,
                 link_mid_frame(l) ? "peer closed the connection in the middle of a frame" : NULL);
        else if (n == GR_E_NOMEM)
            fail(l, GR_E_NOMEM, "out of memory for a frame");
        else
            fail(l, GR_E_IO, l->tr.why);
        return;
    }
}

/* ---- writing ---- */

static size_t msg_nsegs(const struct link_msg *m)
{
    if (!m->out)
        return 1;
    const struct proto_out_chunk *ch;
    return proto_out_chunks(m->out, &ch);
}

static struct seg msg_seg(const struct link_msg *m, size_t i)
{
    if (!m->out)
        return (struct seg){.mem = m->data ? m->data : (const uint8_t *)"", .len = m->len};
    const struct proto_out_chunk *ch;
    proto_out_chunks(m->out, &ch);
    if (ch[i].kind == PROTO_OUT_MEM)
        return (struct seg){.mem = proto_out_chunk_mem(m->out, &ch[i]), .len = ch[i].len};
    return (struct seg){.fd = ch[i].file.fd, .pos = ch[i].file.pos, .len = ch[i].len};
}

/* Pops messages whose every byte is sent (empty segments count as sent)
 * and tells their owners. */
static void complete_sent(struct link *l)
{
    while (l->head && !l->closed) {
        struct link_msg *m = l->head;
        size_t n = msg_nsegs(m);
        while (l->seg < n && l->seg_off == msg_seg(m, l->seg).len) {
            l->seg++;
            l->seg_off = 0;
        }
        if (l->seg < n)
            return;
        l->head = m->next;
        if (!l->head)
            l->tail = NULL;
        l->seg = l->seg_off = 0;
        m->next = NULL;
        /* Popped first: sent() may free m or queue more. */
        if (m->sent)
            m->sent(m);
    }
}

/* Moves the send progress n bytes forward across segments and messages. */
static void advance(struct link *l, size_t n)
{
    while (n && l->head) {
        struct seg s = msg_seg(l->head, l->seg);
        size_t rest = s.len - l->seg_off;
        size_t step = n < rest ? n : rest;
        l->seg_off += step;
        n -= step;
        complete_sent(l);
    }
}

/* Gathers the memory segments from the send position on, across messages,
 * up to the first file range. */
static int gather(const struct link *l, struct iovec *iov)
{
    int niov = 0;
    size_t skip = l->seg_off;
    for (const struct link_msg *m = l->head; m && niov < MAX_IOV; m = m->next) {
        size_t n = msg_nsegs(m);
        for (size_t i = m == l->head ? l->seg : 0; i < n && niov < MAX_IOV; i++) {
            struct seg s = msg_seg(m, i);
            if (!s.mem)
                return niov;
            if (s.len > skip)
                iov[niov++] = (struct iovec){(void *)(s.mem + skip), s.len - skip};
            skip = 0;
        }
    }
    return niov;
}

/* One write from the send position. Returns bytes written or an error. */
static ssize_t write_once(struct link *l)
{
    struct seg s = msg_seg(l->head, l->seg);
    if (!s.mem) {
        ssize_t n =
            l->tr.ops->sendfile(&l->tr, s.fd, s.pos + (int64_t)l->seg_off, s.len - l->seg_off);
        /* The file was truncated under the message: the promised bytes no
         * longer exist and the frame cannot be completed. */
        return n == 0 ? GR_E_CORRUPT : n;
    }
    struct iovec iov[MAX_IOV];
    int niov = gather(l, iov);
    return l->tr.ops->writev(&l->tr, iov, niov);
}

void link_flush(struct link *l)
{
    complete_sent(l);
    while (l->head && !l->closed) {
        ssize_t n = write_once(l);
        if (n > 0) {
            l->bytes_sent += (uint64_t)n;
            advance(l, (size_t)n);
            continue;
        }
        if (n == GR_E_AGAIN) {
            l->writing = true;
            update_io(l);
            return;
        }
        if (n == GR_E_CORRUPT)
            fail(l, GR_E_CORRUPT, "record data shrank while being sent (log truncated)");
        else
            fail(l, (int)n, n == GR_E_NETWORK ? NULL : l->tr.why);
        return;
    }
    if (l->closed)
        return;
    l->writing = false;
    update_io(l);
}

void link_send(struct link *l, struct link_msg *m)
{
    if (l->closed)
        return;
    m->next = NULL;
    if (l->tail)
        l->tail->next = m;
    else
        l->head = m;
    l->tail = m;
    update_io(l);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct link *l = w->data;
    (void)loop;
    if (revents & EV_WRITE)
        link_flush(l);
    if ((revents & EV_READ) && !l->closed)
        do_read(l);
}
