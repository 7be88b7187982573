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

/* Sets the file to len bytes and maps it; fd is the open file, or -1 to
 * open it by path for the call. */
static int remap(struct log_idxfile *f, int fd, size_t len, bool writable)
{
    if (f->map) {
        munmap(f->map, f->map_len);
        f->map = NULL;
        f->map_len = 0;
    }
    int own = -1;
    if (fd < 0 && (fd = own = open(f->path, O_RDWR | O_CLOEXEC)) < 0)
        return gr_err_from_errno(errno);
    int rc = 0;
    if (ftruncate(fd, (off_t)len))
        rc = gr_err_from_errno(errno);
    if (!rc && len) {
        void *m = mmap(NULL, len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) {
            rc = gr_err_from_errno(errno);
        } else {
            /* Index pages are touched one at a time (appends) or by binary
             * search; readahead would zero-fill large folios of the sparse
             * file on the first fault for nothing. */
            madvise(m, len, MADV_RANDOM);
            f->map = m;
        }
    }
    if (own >= 0)
        close(own);
    if (rc)
        return rc;
    f->map_len = len;
    f->writable = writable;
    return 0;
}

int log_idxfile_open(struct log_idxfile *f, const char *path, size_t entry_size,
                     size_t max_bytes)
{
    memset(f, 0, sizeof(*f));
    f->entry_size = entry_size;
    f->path = strdup(path);
    if (!f->path)
        return GR_E_NOMEM;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rc = gr_err_from_errno(errno);
        log_idxfile_close(f);
        return rc;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st))
        rc = gr_err_from_errno(errno);
    else if ((size_t)st.st_size % entry_size)
        rc = GR_E_CORRUPT;
    if (!rc) {
        f->entries = (int32_t)((size_t)st.st_size / entry_size);
        if (max_bytes) {
            size_t used = (size_t)f->entries * entry_size;
            size_t len = max_bytes - max_bytes % entry_size;
            rc = remap(f, fd, len < used ? used : len, true);
        } else {
            rc = remap(f, fd, (size_t)st.st_size, false);
        }
    }
    close(fd);
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
        return remap(f, -1, used, false);
    size_t len = max_bytes - max_bytes % f->entry_size;
    if (len < used)
        len = used;
    return remap(f, -1, len, true);
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
    /* If the trim fails (or the directory is already renamed for deletion)
     * the file keeps trailing zero entries; the next open counts them and
     * the segment's sanity check rebuilds it. */
    if (f->writable && f->path && !f->unlinked)
        (void)!truncate(f->path, (off_t)((size_t)f->entries * f->entry_size));
    free(f->path);
    memset(f, 0, sizeof(*f));
}

int log_idxfile_unlink(struct log_idxfile *f)
{
    if (f->path && unlink(f->path) && errno != ENOENT)
        return gr_err_from_errno(errno);
    f->unlinked = true;
    return 0;
}

int log_idxfile_open_for_sync(const struct log_idxfile *f)
{
    int fd = f->path ? open(f->path, O_RDONLY | O_CLOEXEC) : -1;
    return fd < 0 ? gr_err_from_errno(f->path ? errno : EINVAL) : fd;
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
