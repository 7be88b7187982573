/*
 * Reference-counted segment file descriptors (see log_file.h).
 */
#include "broker/log/log_file.h"

#include <stdlib.h>
#include <unistd.h>

struct log_file *log_file_new(int fd)
{
    struct log_file *f = malloc(sizeof(*f));
    if (!f) {
        close(fd);
        return NULL;
    }
    f->fd = fd;
    f->refs = 1;
    f->reading = 0;
    f->warmed_ms = 0;
    return f;
}

struct log_file *log_file_ref(struct log_file *f)
{
    f->refs++;
    return f;
}

void log_file_unref(void *p)
{
    struct log_file *f = p;
    if (!f || --f->refs > 0)
        return;
    close(f->fd);
    free(f);
}
