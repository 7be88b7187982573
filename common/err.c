/*
 * Names for gregor's internal error codes (see err.h).
 */
#include "common/err.h"

#include <errno.h>

const char *gr_strerror(int err)
{
    switch (err) {
    case GR_OK: return "success";
    case GR_E_NOMEM: return "out of memory";
    case GR_E_IO: return "I/O error";
    case GR_E_CORRUPT: return "corrupt data";
    case GR_E_INVALID: return "invalid argument";
    case GR_E_TOO_LARGE: return "too large";
    case GR_E_RANGE: return "offset out of range";
    case GR_E_NOENT: return "does not exist";
    case GR_E_EXISTS: return "already exists";
    case GR_E_LOCKED: return "locked by another process";
    case GR_E_NOSPACE: return "no space left on device";
    case GR_E_CONFIG: return "bad configuration";
    case GR_E_STATE: return "not allowed in the current state";
    case GR_E_FULL: return "full";
    case GR_E_AGAIN: return "not available yet";
    case GR_E_UNSUPPORTED: return "unsupported";
    case GR_E_NOFILES: return "too many open files (raise the open-file limit, ulimit -n)";
    }
    return "unknown error";
}

int gr_err_from_errno(int errnum)
{
    switch (errnum) {
    case ENOSPC:
    case EDQUOT: return GR_E_NOSPACE;
    case ENOMEM: return GR_E_NOMEM;
    case ENOENT: return GR_E_NOENT;
    case EMFILE:
    case ENFILE: return GR_E_NOFILES;
    case EEXIST: return GR_E_EXISTS;
    default: return GR_E_IO;
    }
}
