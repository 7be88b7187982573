/*
 * gregor-dump-log: Kafka 2.8's kafka-dump-log.sh (kafka.tools.DumpLogSegments)
 * on gregor's segment files. See dump_log.h; options, the loop over --files
 * and the reports printed on stderr at the end live here.
 */
#include "tools/dump_log.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/cli_opts.h"

#define TOOL "gregor-dump-log"

static const char *const intro =
    "This tool helps to parse a log file and dump its contents to the console, useful for "
    "debugging a seemingly corrupt log segment.";
static const char *const head = "Usage: " TOOL " --files FILE1,FILE2,... [options]";

enum {
    O_CLUSTER_METADATA,
    O_DEEP,
    O_FILES,
    O_HELP,
    O_INDEX_SANITY,
    O_KEY_DECODER,
    O_MAX_MESSAGE,
    O_OFFSETS,
    O_PRINT,
    O_SKIP_METADATA,
    O_TXN_LOG,
    O_VALUE_DECODER,
    O_VERIFY,
    O_VERSION,
    O_COUNT
};

static struct cli_opt opts[O_COUNT] = {
    [O_CLUSTER_METADATA] = {"cluster-metadata-decoder", CLI_FLAG, NULL, NULL,
                            "if set, log data will be parsed as cluster metadata records."},
    [O_DEEP] = {"deep-iteration", CLI_FLAG, NULL, NULL,
                "if set, uses deep instead of shallow iteration. Automatically set if "
                "print-data-log is enabled."},
    [O_FILES] = {"files", CLI_REQUIRED, "String: file1, file2, ...", NULL,
                 "REQUIRED: The comma separated list of data and index log files to be dumped."},
    [O_HELP] = {"help", CLI_FLAG, NULL, NULL, "Print usage information."},
    [O_INDEX_SANITY] = {"index-sanity-check", CLI_FLAG, NULL, NULL,
                        "if set, just checks the index sanity without printing its content. This "
                        "is the same check that is executed on broker startup to determine if an "
                        "index needs rebuilding or not."},
    [O_KEY_DECODER] = {"key-decoder-class", CLI_OPTIONAL, "String",
                       "kafka.serializer.StringDecoder",
                       "if set, used to deserialize the keys. kafka.serializer.StringDecoder, "
                       "IntegerDecoder and LongDecoder are known."},
    [O_MAX_MESSAGE] = {"max-message-size", CLI_REQUIRED, "Integer: size", "5242880",
                       "Size of largest message."},
    [O_OFFSETS] = {"offsets-decoder", CLI_FLAG, NULL, NULL,
                   "if set, log data will be parsed as offset data from the __consumer_offsets "
                   "topic."},
    [O_PRINT] = {"print-data-log", CLI_FLAG, NULL, NULL,
                 "if set, printing the messages content when dumping data logs. Automatically set "
                 "if any decoder option is specified."},
    [O_SKIP_METADATA] = {"skip-record-metadata", CLI_FLAG, NULL, NULL,
                         "whether to skip printing metadata for each record."},
    [O_TXN_LOG] = {"transaction-log-decoder", CLI_FLAG, NULL, NULL,
                   "if set, log data will be parsed as transaction metadata from the "
                   "__transaction_state topic."},
    [O_VALUE_DECODER] = {"value-decoder-class", CLI_OPTIONAL, "String",
                         "kafka.serializer.StringDecoder",
                         "if set, used to deserialize the messages. kafka.serializer."
                         "StringDecoder, IntegerDecoder and LongDecoder are known."},
    [O_VERIFY] = {"verify-index-only", CLI_FLAG, NULL, NULL,
                  "if set, just verify the index log without printing its content."},
    [O_VERSION] = {"version", CLI_FLAG, NULL, NULL, "Display Kafka version."},
};

_Noreturn void dl_die(const char *cls, const char *detail, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fflush(stdout);
    /* The JVM's uncaught-exception line; a null message has no colon. */
    fprintf(stderr, "Exception in thread \"main\" %s%s%s\n", cls, *msg ? ": " : "", msg);
    if (detail)
        fprintf(stderr, "%s\n", detail);
    exit(1);
}

/* --- the closing reports -------------------------------------------------- */

struct report_file {
    char *path;
    struct dl_pair *pairs;
    size_t n, cap;
};

static struct report_file *reports[DL_REPORTS];
static size_t nreports[DL_REPORTS];

void dl_report_add(enum dl_report r, const char *path, int64_t a, int64_t b)
{
    struct report_file *f = NULL;
    for (size_t k = 0; k < nreports[r]; k++)
        if (!strcmp(reports[r][k].path, path))
            f = &reports[r][k];
    if (!f) {
        struct report_file *grown = realloc(reports[r], sizeof(*grown) * (nreports[r] + 1));
        if (!grown || !(grown[nreports[r]].path = strdup(path)))
            dl_die("java.lang.OutOfMemoryError", NULL, "the report");
        reports[r] = grown;
        f = &grown[nreports[r]++];
        f->pairs = NULL;
        f->n = f->cap = 0;
    }
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        struct dl_pair *grown = realloc(f->pairs, sizeof(*grown) * cap);
        if (!grown)
            dl_die("java.lang.OutOfMemoryError", NULL, "the report");
        f->pairs = grown;
        f->cap = cap;
    }
    f->pairs[f->n++] = (struct dl_pair){a, b};
}

/* Kafka keeps the offset index mismatches and the non-consecutive offsets
 * in Scala Lists it prepends to (printed newest first) and the time index
 * errors in ArrayBuffers (printed in order). */
static void print_reports(void)
{
    static const char *const title[DL_REPORTS] = {
        [DL_INDEX_MISMATCH] = "Mismatches in :%s\n",
        [DL_TIME_MISMATCH] = "Found timestamp mismatch in :%s\n",
        [DL_TIME_OUT_OF_ORDER] = "Found out of order timestamp in :%s\n",
        [DL_TIME_NOT_FOUND] = "The following indexed offsets are not found in the log.\n",
        [DL_NON_CONSECUTIVE] = "Non-consecutive offsets in %s\n",
    };
    static const char *const line[DL_REPORTS] = {
        [DL_INDEX_MISMATCH] = "  Index offset: %" PRId64 ", log offset: %" PRId64 "\n",
        [DL_TIME_MISMATCH] = "  Index timestamp: %" PRId64 ", log timestamp: %" PRId64 "\n",
        [DL_TIME_OUT_OF_ORDER] =
            "  Index timestamp: %" PRId64 ", Previously indexed timestamp: %" PRId64 "\n",
        [DL_TIME_NOT_FOUND] = "Indexed offset: %" PRId64 ", found log offset: %" PRId64 "\n",
        [DL_NON_CONSECUTIVE] = "  %" PRId64 " is followed by %" PRId64 "\n",
    };
    fflush(stdout);
    for (int r = 0; r < DL_REPORTS; r++) {
        bool reversed = r == DL_INDEX_MISMATCH || r == DL_NON_CONSECUTIVE;
        for (size_t k = 0; k < nreports[r]; k++) {
            struct report_file *f = &reports[r][k];
            fprintf(stderr, title[r], f->path);
            for (size_t i = 0; i < f->n; i++) {
                struct dl_pair *p = &f->pairs[reversed ? f->n - 1 - i : i];
                fprintf(stderr, line[r], p->a, p->b);
            }
            free(f->pairs);
            free(f->path);
        }
        free(reports[r]);
    }
}

/* --- file names --------------------------------------------------------- */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int64_t dl_base_offset(const char *path)
{
    const char *name = base_name(path);
    size_t n = strcspn(name, ".");
    char digits[32] = "";
    bool ok = n > 0 && n < sizeof(digits);
    if (ok) {
        memcpy(digits, name, n);
        char *end;
        errno = 0;
        long long v = strtoll(digits, &end, 10);
        if (!*end && !errno &&
            (digits[0] == '-' || digits[0] == '+' || (digits[0] >= '0' && digits[0] <= '9')))
            return v;
    }
    dl_die("java.lang.NumberFormatException", NULL, "For input string: \"%.*s\"", (int)n, name);
}

char *dl_sibling(const char *path, const char *sfx)
{
    const char *name = base_name(path);
    size_t dir = (size_t)(name - path), n = strcspn(name, ".");
    char *s = malloc(dir + n + strlen(sfx) + 1);
    if (!s)
        dl_die("java.lang.OutOfMemoryError", NULL, "a file name");
    memcpy(s, path, dir + n);
    strcpy(s + dir + n, sfx);
    return s;
}

char *dl_abs(const char *path)
{
    char cwd[PATH_MAX];
    if (path[0] == '/' || !getcwd(cwd, sizeof(cwd))) {
        char *s = strdup(path);
        if (!s)
            dl_die("java.lang.OutOfMemoryError", NULL, "a file name");
        return s;
    }
    size_t n = strlen(cwd) + strlen(path) + 2;
    char *s = malloc(n);
    if (!s)
        dl_die("java.lang.OutOfMemoryError", NULL, "a file name");
    snprintf(s, n, "%s/%s", cwd, path);
    return s;
}

/* --- options ------------------------------------------------------------ */

static int usage_error(const char *msg)
{
    return cli_usage_error(msg, head, opts, O_COUNT);
}

/* A decoder class by Kafka's name; -1 for one gregor cannot load. */
static int decoder(const struct cli_opt *o)
{
    const char *v = cli_value(o);
    static const char *const names[] = {
        [DL_DEC_STRING] = "kafka.serializer.StringDecoder",
        [DL_DEC_INTEGER] = "kafka.serializer.IntegerDecoder",
        [DL_DEC_LONG] = "kafka.serializer.LongDecoder",
    };
    for (int k = 0; k < 3; k++)
        if (!strcmp(v, names[k]))
            return k;
    return -1;
}

static int parse(struct dl_opts *o)
{
    char err[256];
    if (!cli_has(&opts[O_FILES]))
        return usage_error("Missing required argument \"[files]\"");
    int64_t max;
    if (cli_int(&opts[O_MAX_MESSAGE], &max, err, sizeof(err)) || max < INT32_MIN || max > INT32_MAX)
        return usage_error(*err ? err : "Cannot parse argument of option max-message-size");
    if (cli_has(&opts[O_TXN_LOG]) || cli_has(&opts[O_CLUSTER_METADATA]))
        return usage_error("gregor-dump-log: --transaction-log-decoder and "
                           "--cluster-metadata-decoder are not supported (gregor has no "
                           "transactions and no KRaft metadata log)");
    o->key_decoder = decoder(&opts[O_KEY_DECODER]);
    o->value_decoder = decoder(&opts[O_VALUE_DECODER]);
    if (o->key_decoder < 0 || o->value_decoder < 0) {
        const char *bad = cli_value(&opts[o->key_decoder < 0 ? O_KEY_DECODER : O_VALUE_DECODER]);
        fprintf(stderr, "Exception in thread \"main\" java.lang.ClassNotFoundException: %s\n", bad);
        return 1;
    }
    o->max_message = (int32_t)max;
    o->offsets = cli_has(&opts[O_OFFSETS]);
    o->print_data = cli_has(&opts[O_PRINT]) || o->offsets || cli_has(&opts[O_KEY_DECODER]) ||
                    cli_has(&opts[O_VALUE_DECODER]);
    o->deep = cli_has(&opts[O_DEEP]) || o->print_data;
    o->verify_only = cli_has(&opts[O_VERIFY]);
    o->sanity_only = cli_has(&opts[O_INDEX_SANITY]);
    o->skip_metadata = cli_has(&opts[O_SKIP_METADATA]);
    return -1;
}

/* One name of --files, as Kafka's main loop dispatches it by its suffix
 * (what follows the name's last dot). */
static void dump(const char *path, const struct dl_opts *o)
{
    printf("Dumping %s\n", path);
    const char *name = base_name(path), *dot = strrchr(name, '.');
    if (dot && !strcmp(dot, ".log"))
        dl_dump_log(path, o);
    else if (dot && !strcmp(dot, ".index"))
        dl_dump_index(path, o);
    else if (dot && !strcmp(dot, ".timeindex"))
        dl_dump_time_index(path, o);
    else if (dot && (!strcmp(dot, ".snapshot") || !strcmp(dot, ".txnindex")))
        /* gregor writes neither: no idempotent producer state, no aborted
         * transactions. */
        fprintf(stderr,
                "%s: %s files are not supported: gregor writes no producer snapshots "
                "and no transaction indexes\n",
                TOOL, dot);
    else
        fprintf(stderr, "Ignoring unknown file %s\n", path);
}

int main(int argc, char **argv)
{
    int status;
    struct dl_opts o = {0};
    if ((status = cli_start(opts, O_COUNT, argc, argv, head, intro)) >= 0)
        goto out;
    if ((status = parse(&o)) >= 0)
        goto out;
    /* --files a,b,c: Java's String.split(",") drops trailing empty names. */
    char *list = strdup(cli_value(&opts[O_FILES]));
    if (!list)
        dl_die("java.lang.OutOfMemoryError", NULL, "--files");
    size_t n = strlen(list);
    while (n > 0 && list[n - 1] == ',')
        list[--n] = '\0';
    for (char *s = list, *next; s; s = next) {
        next = strchr(s, ',');
        if (next)
            *next++ = '\0';
        dump(s, &o);
    }
    free(list);
    print_reports();
    status = 0;
out:
    cli_free(opts, O_COUNT);
    return status;
}
