/*
 * mmap'd fixed-entry index files (see log_idxfile.h).
 */
#include "broker/log/log_idxfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"

static int remap(struct log_idxfile *f, size_t len, bool writable)
{
    if (f->map) {
        munmap(f->map, f->map_len);
        f->map = NULL;
        f->map_len = 0;
    }
    if (ftruncate(f->fd, (off_t)len))
        return gr_err_from_errno(errno);
    if (len) {
        void *m = mmap(NULL, len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, f->fd, 0);
        if (m == MAP_FAILED)
            return gr_err_from_errno(errno);
        /* Index pages are touched one at a time (appends) or by binary
         * search; readahead would zero-fill large folios of the sparse
         * file on the first fault for nothing. */
        madvise(m, len, MADV_RANDOM);
        f->map = m;
    }
    f->map_len = len;
    f->writable = writable;
    return 0;
}

int log_idxfile_open(struct log_idxfile *f, const char *path, size_t entry_size,
                     size_t max_bytes)
{
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    f->entry_size = entry_size;
    f->path = strdup(path);
    if (!f->path)
        return GR_E_NOMEM;
    f->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        int rc = gr_err_from_errno(errno);
        log_idxfile_close(f);
        return rc;
    }
    struct stat st;
    if (fstat(f->fd, &st)) {
        int rc = gr_err_from_errno(errno);
        log_idxfile_close(f);
        return rc;
    }
    if ((size_t)st.st_size % entry_size) {
        log_idxfile_close(f);
        return GR_E_CORRUPT;
    }
    f->entries = (int32_t)((size_t)st.st_size / entry_size);
    int rc = max_bytes ? log_idxfile_resize(f, max_bytes) : remap(f, (size_t)st.st_size, false);
    if (rc) {
        f->entries = 0; /* never trim a file we could not map */
        log_idxfile_close(f);
    }
    return rc;
}

int log_idxfile_resize(struct log_idxfile *f, size_t max_bytes)
{
    size_t used = (size_t)f->entries * f->entry_size;
    if (!max_bytes)
        return remap(f, used, false);
    size_t len = max_bytes - max_bytes % f->entry_size;
    if (len < used)
        len = used;
    return remap(f, len, true);
}

void log_idxfile_truncate(struct log_idxfile *f, int32_t n)
{
    /* The bytes past the new count are left as they are: every lookup is
     * bounded by the count, and closing trims the file to it. Zeroing them
     * would fault in the whole preallocated file, which after a crash is the
     * full segment.index.bytes of every active segment. */
    if (n < 0)
        n = 0;
    if (n < f->entries)
        f->entries = n;
}

void log_idxfile_close(struct log_idxfile *f)
{
    if (f->map)
        munmap(f->map, f->map_len);
    if (f->fd >= 0) {
        /* If the trim fails the file keeps trailing zero entries; the next
         * open counts them and the segment's sanity check rebuilds it. */
        if (f->writable)
            (void)!ftruncate(f->fd, (off_t)((size_t)f->entries * f->entry_size));
        close(f->fd);
    }
    free(f->path);
    memset(f, 0, sizeof(*f));
    f->fd = -1;
}

int log_idxfile_unlink(struct log_idxfile *f)
{
    if (f->path && unlink(f->path) && errno != ENOENT)
        return gr_err_from_errno(errno);
    return 0;
}

int log_idxfile_set_path(struct log_idxfile *f, const char *path)
{
    char *p = strdup(path);
    if (!p)
        return GR_E_NOMEM;
    free(f->path);
    f->path = p;
    return 0;
}
