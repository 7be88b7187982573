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

/* First allocation of a writable index, and the largest single growth
 * step: small enough that thousands of active segments reserve little,
 * large enough that growing (one open and fallocate) is rare. */
#define IDX_FIRST_BYTES 4096
#define IDX_STEP_MAX (1024 * 1024)

/* Makes the file len bytes long. Growth is allocated for real
 * (posix_fallocate), not left sparse: a store into a mapped hole on a full
 * disk raises SIGBUS, while a failed allocation is an ordinary ENOSPC the
 * caller can answer. On failure the file keeps its old size. */
static int set_size(int fd, size_t len)
{
    struct stat st;
    if (fstat(fd, &st))
        return gr_err_from_errno(errno);
    if ((off_t)len <= st.st_size)
        return (off_t)len == st.st_size || !ftruncate(fd, (off_t)len) ? 0
                                                                      : gr_err_from_errno(errno);
    int e = posix_fallocate(fd, st.st_size, (off_t)len - st.st_size);
    if (e == EOPNOTSUPP || e == EINVAL) {
        /* The file system cannot allocate ahead (glibc emulates the call
         * where the kernel lacks it, so this is rare): sparse it is. */
        return ftruncate(fd, (off_t)len) ? gr_err_from_errno(errno) : 0;
    }
    if (e) {
        /* Some blocks may have been allocated before the disk filled up. */
        (void)!ftruncate(fd, st.st_size);
        return gr_err_from_errno(e);
    }
    return 0;
}

/* Whole entries in n bytes, as bytes. */
static size_t whole(const struct log_idxfile *f, size_t n)
{
    return n - n % f->entry_size;
}

/* Maps the file: read-only at exactly len bytes, or writable with a
 * mapping of len bytes over a file allocated only up to the entries in use
 * plus a first block (the rest is allocated by reserve() as
 * entries arrive; the mapping past the end of the file is never touched).
 * fd is the open file, or -1 to open it by path for the call. A strict
 * remap fails when that first block cannot be allocated; a lenient one
 * keeps the file as it is (its entries are then skipped until space
 * returns), so a log on a full disk still opens and serves reads. */
static int remap(struct log_idxfile *f, int fd, size_t len, bool writable, bool strict)
{
    /* The file is sized to every entry below: they must be in it first. */
    log_idxfile_store(f);
    /* Open and size before unmapping: out of descriptors or of space, the
     * old mapping stays as it was. */
    int own = -1;
    if (fd < 0 && (fd = own = open(f->path, O_RDWR | O_CLOEXEC)) < 0)
        return gr_err_from_errno(errno);
    size_t used = (size_t)f->entries * f->entry_size;
    size_t file_len = len;
    if (writable) {
        file_len = whole(f, IDX_FIRST_BYTES) < len ? whole(f, IDX_FIRST_BYTES) : len;
        if (file_len < used)
            file_len = used;
    }
    int rc = set_size(fd, file_len);
    struct stat st;
    if (rc && writable && !strict && !fstat(fd, &st)) {
        file_len = whole(f, (size_t)st.st_size < len ? (size_t)st.st_size : len);
        rc = file_len < used ? rc : 0;
    }
    if (!rc) {
        if (f->map)
            munmap(f->map, f->map_len);
        f->map = NULL;
        f->map_len = 0;
        f->file_len = 0;
    }
    if (!rc && len) {
        void *m = mmap(NULL, len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) {
            rc = gr_err_from_errno(errno);
        } else {
            /* Index pages are touched one at a time (appends) or by binary
             * search; readahead would read large folios of the allocated
             * but unwritten tail on the first fault for nothing. */
            madvise(m, len, MADV_RANDOM);
            f->map = m;
        }
    }
    if (own >= 0)
        close(own);
    if (rc)
        return rc;
    f->map_len = len;
    f->file_len = file_len;
    f->writable = writable;
    if (!writable) {
        free(f->pend);
        f->pend = NULL;
    }
    return 0;
}

/* Makes sure the file is allocated for one more entry (growing it by up to
 * a megabyte). Returns 0, GR_E_FULL at the maximum or when read-only, or
 * the error of the allocation. */
static int reserve(struct log_idxfile *f)
{
    size_t need = ((size_t)f->entries + 1) * f->entry_size;
    if (need <= f->file_len)
        return 0;
    if (!f->writable || need > f->map_len)
        return GR_E_FULL;
    size_t step = f->file_len < IDX_FIRST_BYTES ? IDX_FIRST_BYTES : f->file_len;
    if (step > IDX_STEP_MAX)
        step = IDX_STEP_MAX;
    size_t len = whole(f, f->file_len + step);
    if (len > f->map_len)
        len = f->map_len;
    if (len < need)
        len = need;
    int fd = open(f->path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return gr_err_from_errno(errno);
    int rc = set_size(fd, len);
    close(fd);
    if (!rc)
        f->file_len = len;
    return rc;
}

void log_idxfile_store(struct log_idxfile *f)
{
    if (f->stored < f->entries) {
        memcpy(f->map + (size_t)f->stored * f->entry_size, f->pend,
               (size_t)(f->entries - f->stored) * f->entry_size);
        f->stored = f->entries;
    }
}

int log_idxfile_append(struct log_idxfile *f, const uint8_t *entry)
{
    int rc = reserve(f);
    if (rc)
        return rc;
    if (f->entries - f->stored == LOG_IDXFILE_PEND)
        log_idxfile_store(f);
    if (!f->pend && !(f->pend = malloc(LOG_IDXFILE_PEND * f->entry_size)))
        return GR_E_NOMEM;
    memcpy(f->pend + (size_t)(f->entries - f->stored) * f->entry_size, entry, f->entry_size);
    f->entries++;
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
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
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
        f->entries = f->stored = (int32_t)((size_t)st.st_size / entry_size);
        if (max_bytes) {
            size_t used = (size_t)f->entries * entry_size;
            size_t len = max_bytes - max_bytes % entry_size;
            rc = remap(f, fd, len < used ? used : len, true, true);
        } else {
            rc = remap(f, fd, (size_t)st.st_size, false, true);
        }
    }
    close(fd);
    if (rc) {
        f->entries = f->stored = 0; /* never trim a file we could not map */
        log_idxfile_close(f);
    }
    return rc;
}

int log_idxfile_resize(struct log_idxfile *f, size_t max_bytes)
{
    size_t used = (size_t)f->entries * f->entry_size;
    if (!max_bytes)
        return remap(f, -1, used, false, true);
    size_t len = max_bytes - max_bytes % f->entry_size;
    if (len < used)
        len = used;
    return remap(f, -1, len, true, false);
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
    if (n < f->stored)
        f->stored = n;
}

void log_idxfile_close(struct log_idxfile *f)
{
    log_idxfile_store(f); /* entries wait only in a writable mapping */
    free(f->pend);
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

int log_idxfile_open_for_sync(struct log_idxfile *f)
{
    log_idxfile_store(f);
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

/* mincore's answer for pages on the stack up to this many (1 MiB of 4 KiB
 * pages): an index of the default 10 MiB maximum needs one allocation. */
#define PROBE_STACK_PAGES 256

int32_t log_idxfile_search(const struct log_idxfile *f, log_idxfile_cmp_fn cmp, const void *target,
                           int64_t *cold_pos)
{
    unsigned char stack[PROBE_STACK_PAGES], *vec = NULL;
    size_t page = 4096;
    /* Only the stored entries can be out of memory. */
    if (cold_pos && f->stored > 0) {
        long ps = sysconf(_SC_PAGESIZE);
        page = ps > 0 ? (size_t)ps : 4096;
        size_t bytes = (size_t)f->stored * f->entry_size;
        size_t pages = (bytes + page - 1) / page;
        vec = pages <= PROBE_STACK_PAGES ? stack : malloc(pages);
        if (vec && mincore(f->map, bytes, vec)) {
            if (vec != stack)
                free(vec);
            vec = NULL; /* unknown: touch the pages as before */
        }
    }
    int32_t lo = 0, hi = f->entries - 1, found = -1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        size_t at = (size_t)mid * f->entry_size;
        /* An entry may straddle two pages (12-byte time index entries). */
        if (vec && mid < f->stored &&
            (!(vec[at / page] & 1) || !(vec[(at + f->entry_size - 1) / page] & 1))) {
            size_t p = !(vec[at / page] & 1) ? at / page : (at + f->entry_size - 1) / page;
            *cold_pos = (int64_t)(p * page);
            found = -2;
            break;
        }
        if (cmp(f, mid, target) <= 0) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (vec != stack)
        free(vec);
    return found;
}
