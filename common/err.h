/*
 * gregor's internal error codes.
 *
 * Owns: the negative error numbers every gregor function returns and their
 * human-readable names. It deliberately knows nothing about Kafka's wire error
 * codes: the protocol layer maps these to ErrorCode values in exactly one place,
 * so a storage failure can never leak onto the wire as a number a client would
 * misread.
 */
#ifndef GREGOR_COMMON_ERR_H
#define GREGOR_COMMON_ERR_H

enum gr_err {
    GR_OK = 0,
    GR_E_NOMEM = -1,       /* an allocation failed */
    GR_E_IO = -2,          /* a system call on a file or socket failed; errno says more */
    GR_E_CORRUPT = -3,     /* stored or received bytes fail a format or CRC check */
    GR_E_INVALID = -4,     /* an argument or request field is out of its allowed range */
    GR_E_TOO_LARGE = -5,   /* a batch or request is larger than its configured limit */
    GR_E_RANGE = -6,       /* an offset lies outside the log's [start, end] */
    GR_E_NOENT = -7,       /* the named thing (topic, partition, file) does not exist */
    GR_E_EXISTS = -8,      /* the named thing already exists */
    GR_E_LOCKED = -9,      /* a log dir is locked by another process */
    GR_E_NOSPACE = -10,    /* the disk is full (ENOSPC / EDQUOT) */
    GR_E_CONFIG = -11,     /* a configuration key or value is not acceptable */
    GR_E_STATE = -12,      /* the call is not allowed in the object's current state */
    GR_E_FULL = -13,       /* a bounded structure (an index) has no room left */
    GR_E_AGAIN = -14,      /* not available yet; try again later */
    GR_E_UNSUPPORTED = -15, /* a feature or format version gregor does not implement */
    GR_E_NOFILES = -16      /* the process's open-file limit is reached (EMFILE / ENFILE) */
};

/* Returns a static, human-readable name for err (never NULL). */
const char *gr_strerror(int err);

/* Maps an errno value from a failed file operation to a gregor error:
 * ENOSPC/EDQUOT become GR_E_NOSPACE, ENOMEM GR_E_NOMEM, ENOENT GR_E_NOENT,
 * EMFILE/ENFILE GR_E_NOFILES, everything else GR_E_IO. */
int gr_err_from_errno(int errnum);

#endif
