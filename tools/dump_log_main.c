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
    const char *name = dl_base_name(path), *dot = strrchr(name, '.');
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
    dl_print_reports();
    status = 0;
out:
    cli_free(opts, O_COUNT);
    return status;
}
