/*
 * libFuzzer target for the framing layer (broker/net/link.c) and the request
 * header that starts every frame (broker/proto/proto_header.c): what a
 * hostile client controls before any API code runs. Each frame is also read
 * as a response header, as the broker's client (net/client.c) reads frames
 * from another broker over the same link code.
 *
 * The link runs over a fake transport (broker/net/transport.h) that hands
 * out the input's byte stream in chunks whose sizes come from the input too,
 * returns "would block" where the input says so, and takes the link's
 * responses in partial writes sized the same way; the link's read/write
 * callback is invoked directly (ev_invoke), so no socket or poll is
 * involved and every chunking is reproducible.
 *
 * Input:
 *   byte 0    the frame size limit, from a table around the staging-buffer
 *             size (32 KiB) and the extremes;
 *   byte 1    bit 0: stop reading after each frame (back-pressure, resumed
 *             by the driver); bit 1: answer every frame whose header decodes
 *             (through the output queue); bit 2: close the link from the
 *             frame callback when a header does not decode (as the API layer
 *             does); bits 3-7: the stream is the payload repeated 1-32 times,
 *             so frames larger than the input still arrive whole;
 *   byte 2    T, the length of the chunk tape;
 *   T bytes   the tape: 0 = would block, 1-127 = that many bytes,
 *             128-255 = (code - 127) * 512 bytes; reads and writes walk it
 *             from opposite ends;
 *   the rest  the payload.
 *
 * Beyond what the sanitizers catch, it aborts unless the frames delivered are
 * exactly those a straightforward parse of the stream finds, in order and
 * byte for byte; the link fails exactly once, with the error the stream
 * calls for (a size over the limit or negative: GR_E_TOO_LARGE; the end of
 * the stream: GR_E_NETWORK, with a reason only inside a frame); it reports
 * being mid-frame exactly when bytes of an undelivered frame were read; a
 * frame's correlation id is decoded whenever its first 8 bytes are there; no
 * frame arrives while reading is off; held() accounts for exactly the memory
 * of the frame in progress, and for nothing after link_destroy(); and the
 * responses leave whole and in order.
 */
#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/net/frame_buf.h"
#include "broker/net/link.h"
#include "broker/net/transport.h"
#include "broker/proto/proto_header.h"
#include "broker/proto/proto_reader.h"
#include "common/buf.h"
#include "common/bytes.h"
#include "common/err.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STREAM (1u << 20) /* keeps one input under a few milliseconds */
#define RESPONSE_LEN 12       /* size prefix, correlation id, key, version */

static const int32_t limits[16] = {0,     1,     7,     8,      61,      4096,    32763,     32764,
                                   32767, 32768, 32772, 100000, 1 << 20, 1 << 24, INT32_MAX - 1,
                                   INT32_MAX};

/* One run's state: the stream, the tape and what the link did with them. */
struct run {
    const uint8_t *payload; /* the stream is payload repeated */
    size_t plen;
    size_t total;       /* stream length */
    size_t consumed;    /* bytes the transport handed out */
    const uint8_t *tape;
    size_t tlen;
    size_t rtape, wtape;     /* read and write cursors */
    int again_r, again_w;    /* consecutive "would block" answers */
    bool pause, respond, close_bad;

    /* Expected: frames as a plain parse finds them. */
    size_t *ref_off, *ref_len; /* frame body offset and length in the stream */
    size_t nref;
    int expect_err;    /* 0 until the parse ends */
    bool expect_why;   /* a reason is due (mid-frame end or size refused) */

    /* Observed. */
    size_t ndelivered;
    size_t delivered_end; /* stream offset after the last delivered frame */
    int nfailed, err;
    bool had_why;
    bool owner_closed;    /* the frame callback closed the link */
    struct buf expect_out; /* the responses queued, in order */
    struct buf out;        /* what the link wrote */
    int nsent;             /* sent() callbacks */
    int64_t held;          /* the link's running total of held() deltas */
    struct link_msg *msgs[4096];
    int nmsgs;
};

static struct run R;
static struct ev_loop *loop;
static int dummy_fd = -1; /* a descriptor for the (never polled) watcher */

static uint8_t stream_at(size_t i)
{
    return R.payload[i % R.plen];
}

/* The size the tape says for the next transfer: 0 means "would block". */
static size_t tape_size(bool read)
{
    if (!R.tlen)
        return SIZE_MAX;
    size_t i = read ? R.rtape++ % R.tlen : R.tlen - 1 - R.wtape++ % R.tlen;
    uint8_t c = R.tape[i];
    int *again = read ? &R.again_r : &R.again_w;
    /* Two "would block" answers in a row are enough: the driver must
     * make progress to finish. */
    if (c == 0 && ++*again <= 2)
        return 0;
    *again = 0;
    if (c == 0)
        return 1;
    return c < 128 ? c : (size_t)(c - 127) * 512;
}

static ssize_t fake_read(struct transport *t, void *buf, size_t len)
{
    (void)t;
    if (len == 0)
        fuzz_fail("link asked for a read of 0 bytes");
    if (R.consumed == R.total) {
        /* Hold the end back until every response has left, so the
         * output can be checked whole. */
        return R.respond && R.nsent < R.nmsgs && !R.owner_closed ? GR_E_AGAIN : 0;
    }
    size_t n = tape_size(true);
    if (n == 0)
        return GR_E_AGAIN;
    if (n > len)
        n = len;
    if (n > R.total - R.consumed)
        n = R.total - R.consumed;
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = stream_at(R.consumed + i);
    R.consumed += n;
    return (ssize_t)n;
}

static ssize_t fake_writev(struct transport *t, const struct iovec *iov, int niov)
{
    (void)t;
    if (niov < 1)
        fuzz_fail("writev of %d segments", niov);
    size_t n = tape_size(false);
    if (n == 0)
        return GR_E_AGAIN;
    size_t done = 0;
    for (int i = 0; i < niov && done < n; i++) {
        size_t k = iov[i].iov_len < n - done ? iov[i].iov_len : n - done;
        buf_append(&R.out, iov[i].iov_base, k);
        done += k;
    }
    return (ssize_t)done;
}

static ssize_t fake_sendfile(struct transport *t, int fd, int64_t pos, size_t len)
{
    (void)t, (void)fd, (void)pos, (void)len;
    fuzz_fail("no file range was queued, yet the link sent one");
}

static void fake_close(struct transport *t)
{
    t->fd = -1; /* the descriptor is shared by every run; never closed */
}

static const struct transport_ops fake_ops = {"fuzz", fake_read, fake_writev, fake_sendfile,
                                              fake_close};

/* The expected frames: a plain parse of the stream. */
static void reference_parse(int32_t max_frame)
{
    size_t pos = 0, cap = 0;
    R.nref = 0;
    while (R.total - pos >= 4) {
        uint8_t b[4] = {stream_at(pos), stream_at(pos + 1), stream_at(pos + 2), stream_at(pos + 3)};
        int32_t sz = (int32_t)be32_load(b);
        if (sz < 0 || sz > max_frame) {
            R.expect_err = GR_E_TOO_LARGE;
            R.expect_why = true;
            return;
        }
        if (R.total - pos - 4 < (size_t)sz)
            break;
        if (R.nref == cap) {
            cap = cap ? cap * 2 : 64;
            R.ref_off = realloc(R.ref_off, cap * sizeof(size_t));
            R.ref_len = realloc(R.ref_len, cap * sizeof(size_t));
            if (!R.ref_off || !R.ref_len)
                abort();
        }
        R.ref_off[R.nref] = pos + 4;
        R.ref_len[R.nref++] = (size_t)sz;
        pos += 4 + (size_t)sz;
    }
    R.expect_err = GR_E_NETWORK;
    R.expect_why = pos != R.total;
}

static void response_sent(struct link_msg *m)
{
    if (R.nsent >= R.nmsgs || R.msgs[R.nsent] != m)
        fuzz_fail("response %d reported sent out of order", R.nsent);
    R.nsent++;
}

/* The same frame as a response header, as the broker's own client reads
 * what another broker sends (v0: correlation id; v1: and tagged fields). */
static void check_response_header(const uint8_t *frame, size_t len)
{
    for (int v = 0; v < 2; v++) {
        struct proto_reader r;
        int32_t corr = 0;
        proto_reader_init(&r, frame, len);
        if (proto_header_decode_response(&r, v, &corr) == 0 &&
            (len < 4 || corr != (int32_t)be32_load(frame) || r.pos > len))
            fuzz_fail("response header v%d: correlation id not the first 4 bytes", v);
    }
}

static void check_header(struct link *l, const uint8_t *frame, size_t len)
{
    struct proto_reader r;
    struct proto_RequestHeader h;
    check_response_header(frame, len);
    memset(&h, 0, sizeof(h));
    proto_reader_init(&r, frame, len);
    int rc = proto_header_decode(&r, &h);
    if (len >= 8 && (h.request_api_key != (int16_t)be16_load(frame) ||
                     h.request_api_version != (int16_t)be16_load(frame + 2) ||
                     h.correlation_id != (int32_t)be32_load(frame + 4)))
        fuzz_fail("header: key, version or correlation id not taken from the first 8 bytes");
    if (rc) {
        if (R.close_bad) {
            R.owner_closed = true;
            link_close(l);
        }
        return;
    }
    if (h.client_id.ptr && (h.client_id.len < 0 || h.client_id.ptr < (const char *)frame ||
                            h.client_id.ptr + h.client_id.len > (const char *)frame + len))
        fuzz_fail("header: client id outside the frame");
    if (r.pos > len)
        fuzz_fail("header: read past the frame");
    if (!R.respond || R.nmsgs == (int)(sizeof(R.msgs) / sizeof(R.msgs[0])))
        return;
    struct link_msg *m = calloc(1, sizeof(*m) + RESPONSE_LEN);
    if (!m)
        abort();
    uint8_t *p = (uint8_t *)(m + 1);
    be32_store(p, RESPONSE_LEN - 4);
    be32_store(p + 4, (uint32_t)h.correlation_id);
    be16_store(p + 8, (uint16_t)h.request_api_key);
    be16_store(p + 10, (uint16_t)h.request_api_version);
    m->data = p;
    m->len = RESPONSE_LEN;
    m->sent = response_sent;
    R.msgs[R.nmsgs++] = m;
    buf_append(&R.expect_out, p, RESPONSE_LEN);
    link_send(l, m);
}

static void on_frame(struct link *l, uint8_t *frame, size_t len)
{
    if (R.owner_closed)
        fuzz_fail("a frame arrived after the owner closed the link");
    if (!l->reading)
        fuzz_fail("a frame arrived while reading was off");
    if (R.ndelivered >= R.nref)
        fuzz_fail("frame %zu delivered, but the stream holds %zu", R.ndelivered + 1, R.nref);
    size_t off = R.ref_off[R.ndelivered];
    if (len != R.ref_len[R.ndelivered])
        fuzz_fail("frame %zu has %zu bytes, the stream says %zu", R.ndelivered, len,
                  R.ref_len[R.ndelivered]);
    for (size_t i = 0; i < len; i++)
        if (frame[i] != stream_at(off + i))
            fuzz_fail("frame %zu differs from the stream at byte %zu", R.ndelivered, i);
    if (off + len > R.consumed)
        fuzz_fail("frame %zu delivered before its bytes were read", R.ndelivered);
    R.ndelivered++;
    R.delivered_end = off + len;
    check_header(l, frame, len);
    frame_buf_free(frame);
    if (R.pause && !l->closed)
        link_set_reading(l, false);
}

static void on_failed(struct link *l, int err, const char *why)
{
    (void)l;
    if (R.nfailed++)
        fuzz_fail("failed() called twice");
    R.err = err;
    R.had_why = why != NULL;
}

static void on_held(struct link *l, ptrdiff_t delta)
{
    (void)l;
    R.held += delta;
    if (R.held < 0)
        fuzz_fail("held() gave back more than it took (%lld)", (long long)R.held);
}

static const struct link_ops ops = {on_frame, on_failed, on_held};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    if (!loop) {
        int p[2];
        if (pipe(p))
            abort();
        dummy_fd = p[0];
        loop = ev_loop_new(EVFLAG_AUTO);
        if (!loop)
            abort();
    }
    size_t tlen = data[2] < size - 3 ? data[2] : size - 3;
    free(R.ref_off);
    free(R.ref_len);
    memset(&R, 0, sizeof(R));
    int32_t max_frame = limits[data[0] % 16];
    R.pause = data[1] & 1;
    R.respond = data[1] & 2;
    R.close_bad = data[1] & 4;
    R.tape = data + 3;
    R.tlen = tlen;
    R.payload = data + 3 + tlen;
    R.plen = size - 3 - tlen;
    size_t repeat = (size_t)(data[1] >> 3) + 1;
    R.total = R.plen * repeat > MAX_STREAM ? MAX_STREAM : R.plen * repeat;
    buf_init(&R.out);
    buf_init(&R.expect_out);
    reference_parse(max_frame);

    struct transport tr = {.ops = &fake_ops, .fd = dummy_fd};
    struct link l;
    if (link_init(&l, loop, &tr, &ops, max_frame, "socket.request.max.bytes"))
        abort();
    /* Each call reads at least a byte, writes at least a byte or resumes
     * reading, and would-block answers never come three in a row: this
     * bound is never reached unless the link stops making progress. */
    size_t limit = 8 * (R.total + 64) + 4 * (size_t)R.nmsgs * RESPONSE_LEN + 4096;
    for (size_t i = 0; !l.closed; i++) {
        if (i > limit + 8 * (size_t)R.nmsgs * RESPONSE_LEN)
            fuzz_fail("the link stopped making progress (%zu of %zu bytes read)", R.consumed,
                      R.total);
        if (!l.reading && !l.head)
            link_set_reading(&l, true);
        int ev = (l.reading ? EV_READ : 0) | (l.head || l.writing ? EV_WRITE : 0);
        ev_invoke(loop, &l.io, ev);
        if (!l.closed && link_mid_frame(&l) != (R.consumed > R.delivered_end))
            fuzz_fail("mid-frame is %d with %zu bytes read and frames delivered up to %zu",
                      link_mid_frame(&l), R.consumed, R.delivered_end);
        if (R.held != (l.frame ? (int64_t)frame_buf_cap(l.frame) : 0))
            fuzz_fail("held() says %lld bytes, the frame in progress has %zu",
                      (long long)R.held, l.frame ? frame_buf_cap(l.frame) : 0);
    }

    if (R.owner_closed) {
        if (R.nfailed)
            fuzz_fail("failed() called after the owner closed the link");
    } else {
        if (R.nfailed != 1)
            fuzz_fail("the link ended without failed()");
        if (R.ndelivered != R.nref)
            fuzz_fail("%zu frames delivered, the stream holds %zu", R.ndelivered, R.nref);
        if (R.err != R.expect_err || R.had_why != R.expect_why)
            fuzz_fail("the link failed with %d (%s reason), expected %d (%s reason)", R.err,
                      R.had_why ? "a" : "no", R.expect_err, R.expect_why ? "a" : "no");
        /* The end of the stream waits for the output queue, so every
         * response has left unless a size was refused first. */
        if (R.expect_err == GR_E_NETWORK &&
            (R.nsent != R.nmsgs || R.out.len != R.expect_out.len))
            fuzz_fail("%d of %d responses sent, %zu of %zu bytes written", R.nsent, R.nmsgs,
                      R.out.len, R.expect_out.len);
    }
    if (R.out.len > R.expect_out.len ||
        (R.out.len && memcmp(R.out.data, R.expect_out.data, R.out.len)))
        fuzz_fail("the link wrote bytes that were not queued, or out of order");
    link_destroy(&l);
    if (R.held != 0)
        fuzz_fail("%lld bytes still held after link_destroy", (long long)R.held);
    for (int i = 0; i < R.nmsgs; i++)
        free(R.msgs[i]);
    buf_destroy(&R.out);
    buf_destroy(&R.expect_out);
    return 0;
}
