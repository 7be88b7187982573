/*
 * Transport: every byte a connection reads or writes goes through one of
 * these, so TLS (or anything else) is one more implementation file and not a
 * rewrite of the framing above it (the idea of Redis' ConnectionType and
 * memcached's per-connection read/sendmsg pointers).
 *
 * Owns the socket once initialised: close() releases it. It knows nothing of
 * Kafka framing, queues or the event loop; link.c does.
 *
 * Every call returns a byte count >= 0, or a negative gregor error:
 * GR_E_AGAIN (would block: wait for readiness), GR_E_NETWORK (the peer reset
 * or closed the connection; not worth a log line), GR_E_IO (anything else;
 * the errno text is in t->why). Errors from the socket enter gregor's error
 * space here.
 */
#ifndef GREGOR_BROKER_NET_TRANSPORT_H
#define GREGOR_BROKER_NET_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct transport;

struct transport_ops {
    const char *name; /* "plaintext"; for log lines */
    /* Reads up to len bytes. 0 means the peer closed its side. */
    ssize_t (*read)(struct transport *t, void *buf, size_t len);
    /* Writes from iov (niov >= 1). May write less than asked. */
    ssize_t (*writev)(struct transport *t, const struct iovec *iov, int niov);
    /* Sends up to len bytes of file fd from pos. 0 means the file ended
     * before pos + len. A transport that cannot send from the kernel
     * (TLS) uses transport_copy_file(). */
    ssize_t (*sendfile)(struct transport *t, int fd, int64_t pos, size_t len);
    /* Releases the socket and any state. Called once. */
    void (*close)(struct transport *t);
};

struct transport {
    const struct transport_ops *ops; /* the implementation */
    int fd;                          /* the socket; -1 once closed */
    void *state;                     /* the implementation's own state (TLS session) */
    char why[96];                    /* errno text of the last GR_E_IO */
};

/* The plaintext transport over the non-blocking socket fd (takes ownership
 * of fd; t is caller-allocated). */
void transport_plain_init(struct transport *t, int fd);

/* The fallback of sendfile: reads up to len bytes of fd at pos with pread(2)
 * into a bounce buffer and writes them with t's writev. Same returns as
 * sendfile. Bytes read but not written are read again next time. */
ssize_t transport_copy_file(struct transport *t, int fd, int64_t pos, size_t len);

/* Maps errno after a failed socket call to the returns above (filling
 * t->why for GR_E_IO). */
ssize_t transport_errno(struct transport *t, int errnum);

static inline void transport_close(struct transport *t)
{
    if (t->ops && t->fd >= 0)
        t->ops->close(t);
}

#endif
