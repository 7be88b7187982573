/*
 * A framed connection: Kafka's 4-byte big-endian size prefix in both
 * directions, for the server's connections (conn.c) and the broker's own
 * client connections (client.c) alike.
 *
 * Owns the transport (and so the socket), the read watcher and write
 * readiness, the input buffer with the frame being read, and the progress
 * through the output queue. Reading turns bytes into whole frames, each
 * handed to ops->frame(); a size above max_frame fails the link with a
 * reason naming the limit. Writing sends queued messages in queue order:
 * memory ranges with writev (several messages per call), file ranges (Fetch
 * record data) with the transport's sendfile, keeping partial-write progress
 * and waiting for EV_WRITE when the socket is full.
 *
 * It does not know what a frame means, does not order responses (the owner
 * queues them in the order they must leave) and never frees a message: the
 * owner does, after sent() or after link_close().
 *
 * Callbacks (frame, failed, sent) run from the loop or from link_flush().
 * They may call link_send, link_flush, link_set_reading and link_close, but
 * must not free the link's memory: the owner frees it from a safe point or
 * after the call stack unwinds.
 */
#ifndef GREGOR_BROKER_NET_LINK_H
#define GREGOR_BROKER_NET_LINK_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/net/transport.h"

struct link;
struct proto_out;

/* One queued outgoing message: either every chunk of a proto_out (memory and
 * file ranges; several frames may follow each other) or one memory range. */
struct link_msg {
    const struct proto_out *out;      /* chunks to send; borrowed; NULL: send data */
    const uint8_t *data;              /* bytes to send when out is NULL; borrowed */
    size_t len;                       /* bytes at data */
    void (*sent)(struct link_msg *m); /* called once its last byte left; may be NULL */
    struct link_msg *next;            /* the link's queue */
};

struct link_ops {
    /* A whole frame (the bytes after its size prefix) arrived. Takes
     * ownership of frame (free it with frame_buf_free; len may be 0). */
    void (*frame)(struct link *l, uint8_t *frame, size_t len);
    /* The link failed and is already closed (link_close): err is
     * GR_E_NETWORK (the peer closed or reset), GR_E_TOO_LARGE (frame over
     * the limit), GR_E_IO, GR_E_NOMEM or GR_E_CORRUPT (record data shrank
     * while sent); why (borrowed, for the log) is NULL when the peer simply
     * closed between frames. Called at most once. */
    void (*failed)(struct link *l, int err, const char *why);
    /* May be NULL. The memory held for a frame still arriving changed by
     * delta bytes: it grows with the bytes that arrive, and is given back
     * (a negative delta) just before the whole frame goes to frame(), or
     * when the link is destroyed mid-frame. Lets the owner count frames in
     * progress against a memory budget. */
    void (*held)(struct link *l, ptrdiff_t delta);
};

struct link {
    struct ev_loop *loop;         /* borrowed */
    const struct link_ops *ops;   /* the owner's callbacks; borrowed */
    struct transport tr;          /* the socket's I/O */
    ev_io io;                     /* read / write readiness */
    int32_t max_frame;            /* largest acceptable size prefix */
    const char *max_frame_name;   /* the setting behind it, for the reason; borrowed */
    uint8_t *rbuf;                /* staging buffer for small frames; owned */
    size_t rlen;                  /* bytes in rbuf */
    uint8_t *frame;               /* a large frame read in directly; owned (frame_buf.h) */
    size_t frame_len;             /* its size */
    size_t frame_have;            /* bytes of it read so far */
    size_t frame_cap;             /* bytes of it the buffer takes now (<= frame_len) */
    struct link_msg *head, *tail; /* output queue */
    size_t seg;                   /* send progress: segment index in head */
    size_t seg_off;               /* send progress: bytes of that segment sent */
    uint64_t bytes_sent;          /* every byte written so far: progress, for idle checks */
    bool reading;                 /* EV_READ is wanted */
    bool writing;                 /* EV_WRITE is wanted (the socket was full) */
    bool staged;                  /* rbuf may hold whole frames held back while not reading */
    bool closed;                  /* link_close ran; no more I/O or callbacks */
};

/* Starts a link over tr, an initialised transport of a connected
 * non-blocking socket (its contents move into l, which closes it in
 * link_close, also when this fails); which transport it is (plaintext, later
 * TLS) is the owner's choice. l is caller-allocated. Reading starts at once.
 * Returns 0 or GR_E_NOMEM. */
int link_init(struct link *l, struct ev_loop *loop, const struct transport *tr,
              const struct link_ops *ops, int32_t max_frame, const char *max_frame_name);
/* Queues m (borrowed until its sent() or link_close) after every queued
 * message and asks for write readiness; nothing is written before the loop
 * runs or link_flush() is called. */
void link_send(struct link *l, struct link_msg *m);
/* Writes what the socket takes now. May call sent() and failed(). */
void link_flush(struct link *l);
/* Turns reading on or off (backpressure: too many requests queued). */
void link_set_reading(struct link *l, bool on);
/* True while a frame is partly read. */
bool link_mid_frame(const struct link *l);
/* True while messages wait in the output queue. */
bool link_output_waiting(const struct link *l);
/* Stops all I/O and closes the socket. Queued messages are dropped without
 * sent(): they are the owner's again. Safe to call twice and from callbacks. */
void link_close(struct link *l);
/* Closes (if needed) and frees the buffers. */
void link_destroy(struct link *l);

#endif
