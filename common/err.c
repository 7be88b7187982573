/*
 * Names for gregor's internal error codes (see err.h).
 */
#include "common/err.h"

#include <errno.h>

const char *gr_strerror(int err)
{
    switch (err) {
    case GR_OK: return "success";
    case GR_PENDING: return "pending";
#define GR_ERR_CASE(name, value, text)                                                             \
    case name: return text;
        GR_ERRORS(GR_ERR_CASE)
#undef GR_ERR_CASE
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
