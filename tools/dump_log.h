/*
 * gregor-dump-log: Kafka 2.8's kafka-dump-log (kafka.tools.DumpLogSegments)
 * over gregor's segment files, which are Kafka's (<base>.log, .index,
 * .timeindex in <topic>-<partition>/).
 *
 * Shared by its files: dump_log_main.c (options and the files loop),
 * dump_log_util.c (dying as Kafka's tool does, the closing reports on
 * stderr, file names), dump_log_batch.c (reading batches and
 * records), dump_log_log.c (the lines of a .log), dump_log_offsets.c
 * (--offsets-decoder) and dump_log_index.c (.index and .timeindex).
 *
 * Every read is a pread() bounded by the file's size as measured when it was
 * opened; no length read from the file is trusted before it is checked
 * against that size. Where Kafka's tool dies with an exception, this one
 * prints the exception's first line as the JVM would ("Exception in thread
 * "main" <class>: <message>") on stderr and exits with status 1
 * (dl_die()); what Kafka reports and goes on from, it reports and goes on
 * from.
 */
#ifndef GREGOR_TOOLS_DUMP_LOG_H
#define GREGOR_TOOLS_DUMP_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dl_opts {
    bool print_data;     /* --print-data-log (or a decoder option) */
    bool deep;           /* --deep-iteration, or implied by print_data */
    bool verify_only;    /* --verify-index-only */
    bool sanity_only;    /* --index-sanity-check */
    bool skip_metadata;  /* --skip-record-metadata */
    bool offsets;        /* --offsets-decoder */
    int32_t max_message; /* --max-message-size */
    int key_decoder;     /* enum dl_decoder */
    int value_decoder;   /* enum dl_decoder */
};

/* Kafka's kafka.serializer decoders the tool knows by class name. */
enum dl_decoder { DL_DEC_STRING, DL_DEC_INTEGER, DL_DEC_LONG };

/* A (first, second) pair of a closing report. */
struct dl_pair {
    int64_t a, b;
};

/* The closing reports: lists of pairs per file, kept in the order the files
 * were dumped. Owned by dump_log_main.c. */
enum dl_report {
    DL_INDEX_MISMATCH,    /* "Mismatches in :file" */
    DL_TIME_MISMATCH,     /* "Found timestamp mismatch in :file" */
    DL_TIME_OUT_OF_ORDER, /* "Found out of order timestamp in :file" */
    DL_TIME_NOT_FOUND,    /* "The following indexed offsets are not found in the log." */
    DL_NON_CONSECUTIVE,   /* "Non-consecutive offsets in file" */
    DL_REPORTS
};
/* Adds (a, b) to report r for the file whose absolute path is path (copied). */
void dl_report_add(enum dl_report r, const char *path, int64_t a, int64_t b);
/* Prints every report, in Kafka's order, on stderr (the end of a run). */
void dl_print_reports(void);
/* The part of path after its last '/' (borrowed from path). */
const char *dl_base_name(const char *path);

/* Prints "Exception in thread "main" cls: msg" (and, when detail is not
 * NULL, a second line saying what gregor found) on stderr after flushing
 * stdout, and exits with status 1. */
_Noreturn void dl_die(const char *cls, const char *detail, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An open segment file: descriptor and size at open. */
struct dl_file {
    int fd;
    int64_t size;
    const char *path; /* as given, borrowed */
};

/* Opens path read-only; a missing file dies with Java's
 * NoSuchFileException as Kafka's FileChannel.open does. */
void dl_open(struct dl_file *f, const char *path);
void dl_close(struct dl_file *f);
/* Reads exactly n bytes at pos, which the caller has checked lie inside the
 * file; dies on an I/O error. */
void dl_read(const struct dl_file *f, int64_t pos, void *buf, size_t n);

/* The segment's base offset from a file name "<digits>.<suffix>", as Kafka
 * parses it (name.split(".")(0).toLong); dies with Java's
 * NumberFormatException otherwise. */
int64_t dl_base_offset(const char *path);
/* The sibling of path with the same base name and suffix sfx (".log"):
 * a new string the caller frees. */
char *dl_sibling(const char *path, const char *sfx);
/* The absolute path of path (Kafka's File.getAbsolutePath): a new string. */
char *dl_abs(const char *path);

/* A batch header as Kafka's FileLogInputStream reads it. */
struct dl_batch {
    int64_t position; /* where it starts in the file */
    int64_t size;     /* Length + 12 */
    int8_t magic;     /* as stored */
    int64_t base_offset;
    int64_t last_offset;
    int32_t leader_epoch;
    uint32_t crc;
    int16_t attributes;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t last_sequence;
    int32_t count;
};

/* The batch starting at pos in [0, end) of f: 1 with *b filled, 0 when no
 * whole batch starts there (fewer than 17 bytes left, or the batch goes past
 * end: Kafka's end of the iteration), or dies on a size below Kafka's
 * minimum (CorruptRecordException) or a magic below 2 (unsupported). */
int dl_next_batch(const struct dl_file *f, int64_t pos, int64_t end, struct dl_batch *b);

/* One record of a batch, pointing into the batch's (inflated) bytes. */
struct dl_record {
    int64_t offset;
    int64_t timestamp;
    int32_t sequence;
    int32_t key_len, value_len; /* -1: null */
    const uint8_t *key, *value;
    int32_t nheaders;
    const uint8_t *headers; /* the first header's bytes (already checked) */
};

/* Calls fn for every record of batch b in f, after Kafka's checks (a
 * compressed batch is inflated and checked whole first, as Kafka's
 * iterator does). Dies on a malformed batch with Kafka's message. */
typedef void (*dl_record_fn)(const struct dl_batch *b, const struct dl_record *r, void *arg);
void dl_records(const struct dl_file *f, const struct dl_batch *b, int32_t max_message,
                dl_record_fn fn, void *arg);

/* DefaultRecordBatch.incrementSequence in Java's wrapping int arithmetic
 * (a damaged header may hold any values). */
static inline int32_t dl_increment_sequence(int32_t seq, int32_t inc)
{
    uint32_t s = (uint32_t)seq, i = (uint32_t)inc;
    if (seq > (int32_t)((uint32_t)INT32_MAX - i))
        return (int32_t)(i - ((uint32_t)INT32_MAX - s) - 1u);
    return (int32_t)(s + i);
}

/* Kafka's codec and timestamp type names as its tool prints them. */
const char *dl_codec_name(const struct dl_batch *b); /* dies on an unknown codec */
const char *dl_ts_type(const struct dl_batch *b);

/* --offsets-decoder: prints record r's " key: ..." (after prefix) and
 * " payload: ..." as Kafka's GroupMetadataManager formats them, or dies with
 * its exception (dump_log_offsets.c). */
void dl_offsets_print(const struct dl_record *r, const char *prefix);

void dl_dump_log(const char *path, const struct dl_opts *o);
void dl_dump_index(const char *path, const struct dl_opts *o);
void dl_dump_time_index(const char *path, const struct dl_opts *o);

#endif
