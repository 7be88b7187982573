/*
 * Helpers every transport shares (see transport.h): errno mapping and the
 * copy-through-memory fallback for file ranges.
 */
#include "broker/net/transport.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"

/* Large enough that a fallback send costs few system calls, small enough
 * for the loop thread's stack. */
#define COPY_CHUNK (16 * 1024)

ssize_t transport_errno(struct transport *t, int errnum)
{
    switch (errnum) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EINTR: return GR_E_AGAIN;
    case EPIPE:
    case ECONNRESET:
    case ECONNABORTED:
    case ETIMEDOUT: return GR_E_NETWORK;
    default:
        snprintf(t->why, sizeof(t->why), "%s", strerror(errnum));
        return GR_E_IO;
    }
}

ssize_t transport_copy_file(struct transport *t, int fd, int64_t pos, size_t len)
{
    uint8_t bounce[COPY_CHUNK];
    size_t want = len < sizeof(bounce) ? len : sizeof(bounce);
    ssize_t n = pread(fd, bounce, want, (off_t)pos);
    if (n < 0) {
        snprintf(t->why, sizeof(t->why), "reading record data: %s", strerror(errno));
        return GR_E_IO;
    }
    if (n == 0)
        return 0;
    struct iovec iov = {bounce, (size_t)n};
    return t->ops->writev(t, &iov, 1);
}
