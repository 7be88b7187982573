/*
 * The plaintext transport: the socket calls themselves (see transport.h).
 * File ranges go out with sendfile(2); where the kernel refuses it for a
 * file (EINVAL, ENOSYS: some file systems) the transport switches to the
 * pread-and-write fallback for good.
 */
#include "broker/net/transport.h"

#include <errno.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "common/err.h"

/* state of a plaintext transport: non-NULL once sendfile proved unusable. */
#define NO_SENDFILE ((void *)1)

static ssize_t plain_read(struct transport *t, void *buf, size_t len)
{
    ssize_t n = read(t->fd, buf, len);
    return n >= 0 ? n : transport_errno(t, errno);
}

static ssize_t plain_writev(struct transport *t, const struct iovec *iov, int niov)
{
    ssize_t n = writev(t->fd, iov, niov);
    return n >= 0 ? n : transport_errno(t, errno);
}

static ssize_t plain_sendfile(struct transport *t, int fd, int64_t pos, size_t len)
{
    if (t->state == NO_SENDFILE)
        return transport_copy_file(t, fd, pos, len);
    off_t off = (off_t)pos;
    ssize_t n = sendfile(t->fd, fd, &off, len);
    if (n >= 0)
        return n;
    if (errno == EINVAL || errno == ENOSYS) {
        t->state = NO_SENDFILE;
        return transport_copy_file(t, fd, pos, len);
    }
    return transport_errno(t, errno);
}

static void plain_close(struct transport *t)
{
    close(t->fd);
    t->fd = -1;
}

static const struct transport_ops plain_ops = {
    .name = "plaintext",
    .read = plain_read,
    .writev = plain_writev,
    .sendfile = plain_sendfile,
    .close = plain_close,
};

void transport_plain_init(struct transport *t, int fd)
{
    t->ops = &plain_ops;
    t->fd = fd;
    t->state = NULL;
    t->why[0] = '\0';
}
