/*
 * gregor-console-consumer: Kafka 2.8's kafka-console-consumer on
 * librdkafka, with its flags, defaults, output and messages.
 *
 *   gregor-console-consumer --bootstrap-server B --topic T
 *       [--group G] [--from-beginning] [--max-messages N] [--timeout-ms MS]
 *       [--partition P [--offset earliest|latest|N]]
 *       [--property print.key=true ...] [--consumer-property k=v ...]
 *       [--consumer.config FILE] [--isolation-level L]
 *
 * Without --partition it subscribes with a consumer group: --group's, the
 * group.id of --consumer-property or --consumer.config, or else a random
 * "console-consumer-NNNNN" with auto commit off (as Kafka, so the throwaway
 * group leaves no offsets behind); that needs the broker's group
 * coordinator. With --partition it reads that one partition by manual
 * assignment from --offset (default latest; earliest with
 * --from-beginning), which needs no coordinator and commits nothing.
 *
 * Records are printed by Kafka's DefaultMessageFormatter (console_format.h).
 * At the end, "Processed a total of N messages" goes to stderr. --timeout-ms
 * bounds the wait for the next record; when it runs out the tool stops as
 * Kafka's does (an ERROR line, the total, exit status 0). An error from the
 * client that ends consumption exits 1.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "tools/cli_opts.h"
#include "tools/console_conf.h"
#include "tools/console_format.h"

#define TOOL "gregor-console-consumer"

static const char *const head =
    "Usage: " TOOL " --bootstrap-server HOST:PORT --topic TOPIC [options]\n"
    "This tool helps to read data from Kafka topics and outputs it to standard output.";

enum {
    O_BOOTSTRAP,
    O_TOPIC,
    O_WHITELIST,
    O_GROUP,
    O_PARTITION,
    O_OFFSET,
    O_FROM_BEGINNING,
    O_MAX_MESSAGES,
    O_TIMEOUT,
    O_PROPERTY,
    O_CONSUMER_PROPERTY,
    O_CONSUMER_CONFIG,
    O_ISOLATION,
    O_SKIP_ON_ERROR,
    O_HELP,
    O_VERSION,
    O_COUNT
};

static struct cli_opt opts[O_COUNT] = {
    [O_BOOTSTRAP] = {"bootstrap-server", CLI_REQUIRED, "server to connect to", NULL,
                     "REQUIRED: The server(s) to connect to."},
    [O_TOPIC] = {"topic", CLI_REQUIRED, "topic", NULL, "The topic id to consume on."},
    [O_WHITELIST] = {"whitelist", CLI_REQUIRED, "whitelist", NULL,
                     "Regular expression specifying whitelist of topics to include for "
                     "consumption."},
    [O_GROUP] = {"group", CLI_REQUIRED, "consumer group id", NULL,
                 "The consumer group id of the consumer."},
    [O_PARTITION] = {"partition", CLI_REQUIRED, "partition", NULL,
                     "The partition to consume from. Consumption starts from the end of the "
                     "partition unless '--offset' is specified."},
    [O_OFFSET] = {"offset", CLI_REQUIRED, "consume offset", "latest",
                  "The offset id to consume from (a non-negative number), or 'earliest' which "
                  "means from beginning, or 'latest' which means from end"},
    [O_FROM_BEGINNING] = {"from-beginning", CLI_FLAG, NULL, NULL,
                          "If the consumer does not already have an established offset to "
                          "consume from, start with the earliest message present in the log "
                          "rather than the latest message."},
    [O_MAX_MESSAGES] = {"max-messages", CLI_REQUIRED, "num_messages", NULL,
                        "The maximum number of messages to consume before exiting. If not set, "
                        "consumption is continual."},
    [O_TIMEOUT] = {"timeout-ms", CLI_REQUIRED, "timeout_ms", NULL,
                   "If specified, exit if no message is available for consumption for the "
                   "specified interval."},
    [O_PROPERTY] = {"property", CLI_REQUIRED, "prop", NULL,
                    "The properties to initialize the message formatter: print.timestamp, "
                    "print.key, print.offset, print.partition, print.headers, print.value, "
                    "key.separator, line.separator, headers.separator, null.literal"},
    [O_CONSUMER_PROPERTY] = {"consumer-property", CLI_REQUIRED, "consumer_prop", NULL,
                             "A mechanism to pass user-defined properties in the form key=value "
                             "to the consumer."},
    [O_CONSUMER_CONFIG] = {"consumer.config", CLI_REQUIRED, "config file", NULL,
                           "Consumer config properties file. Note that [consumer-property] "
                           "takes precedence over this config."},
    [O_ISOLATION] = {"isolation-level", CLI_REQUIRED, "isolation level", "read_uncommitted",
                     "Set to read_committed in order to filter out transactional messages "
                     "which are not committed. Set to read_uncommitted to read all messages."},
    [O_SKIP_ON_ERROR] = {"skip-message-on-error", CLI_FLAG, NULL, NULL,
                         "If there is an error when processing a message, skip it instead of "
                         "halt. (Accepted for Kafka's scripts: the default formatter never "
                         "fails on a record.)"},
    [O_HELP] = {"help", CLI_FLAG, NULL, NULL, "Print usage information."},
    [O_VERSION] = {"version", CLI_FLAG, NULL, NULL, "Display Kafka version."},
};

static int usage_error(const char *msg)
{
    return cli_usage_error(msg, head, opts, O_COUNT);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* What the command line asks for, checked. */
struct plan {
    const char *topic;  /* --topic, or NULL with --whitelist */
    bool assign;        /* --partition given */
    int32_t partition;  /* its value */
    int64_t offset;     /* start of --partition mode: a number or RD_KAFKA_OFFSET_* */
    int64_t max;        /* --max-messages, -1 for no limit */
    int64_t timeout_ms; /* --timeout-ms, -1 for none */
    char group[64];     /* the random group when none is given */
    struct console_format fmt;
};

static int invalid_offset(const char *v)
{
    char msg[512];
    snprintf(msg, sizeof(msg),
             "The provided offset value '%s' is incorrect. Valid values are 'earliest', "
             "'latest', or a non-negative long.",
             v);
    return usage_error(msg);
}

/* Kafka's ConsumerConfig checks, in its order. */
static int check(struct plan *p)
{
    char err[512];
    if (!cli_has(&opts[O_BOOTSTRAP]))
        return usage_error("Missing required argument \"[bootstrap-server]\"");
    if (cli_has(&opts[O_TOPIC]) + cli_has(&opts[O_WHITELIST]) != 1)
        return usage_error("Exactly one of whitelist/topic is required.");
    p->topic = cli_has(&opts[O_TOPIC]) ? cli_value(&opts[O_TOPIC]) : NULL;
    p->assign = cli_has(&opts[O_PARTITION]);
    if (p->assign) {
        int64_t v;
        if (cli_int(&opts[O_PARTITION], &v, err, sizeof(err)) || v < 0 || v > INT32_MAX)
            return usage_error(err);
        p->partition = (int32_t)v;
        if (!p->topic)
            return usage_error("The topic is required when partition is specified.");
        if (cli_has(&opts[O_FROM_BEGINNING]) && cli_has(&opts[O_OFFSET]))
            return usage_error("Options from-beginning and offset cannot be specified together.");
    } else if (cli_has(&opts[O_OFFSET])) {
        return usage_error("The partition is required when offset is specified.");
    }
    const char *off = cli_value(&opts[O_OFFSET]);
    if (!cli_has(&opts[O_OFFSET]))
        p->offset =
            cli_has(&opts[O_FROM_BEGINNING]) ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
    else if (!strcasecmp(off, "earliest"))
        p->offset = RD_KAFKA_OFFSET_BEGINNING;
    else if (!strcasecmp(off, "latest"))
        p->offset = RD_KAFKA_OFFSET_END;
    else {
        char *end = NULL;
        long long v = strtoll(off, &end, 10);
        if (!*off || *end || v < 0)
            return invalid_offset(off);
        p->offset = v;
    }
    p->max = -1;
    if (cli_has(&opts[O_MAX_MESSAGES]) && cli_int(&opts[O_MAX_MESSAGES], &p->max, err, sizeof(err)))
        return usage_error(err);
    p->timeout_ms = -1;
    if (cli_has(&opts[O_TIMEOUT]) && cli_int(&opts[O_TIMEOUT], &p->timeout_ms, err, sizeof(err)))
        return usage_error(err);
    console_format_init(&p->fmt);
    for (int i = 0; i < opts[O_PROPERTY].count; i++)
        if (console_format_set(&p->fmt, opts[O_PROPERTY].values[i])) {
            snprintf(err, sizeof(err), "Invalid parser arguments: %s", opts[O_PROPERTY].values[i]);
            return usage_error(err);
        }
    return 0;
}

/* The consumer's properties, in Kafka's order: file, --consumer-property,
 * then group.id, auto.offset.reset, isolation.level and bootstrap.servers. */
static int build_conf(struct console_conf *c, struct plan *p)
{
    struct console_conf file = {0}, extra = {0};
    int status = 1;
    if (cli_has(&opts[O_CONSUMER_CONFIG]) &&
        console_conf_load(&file, TOOL, cli_value(&opts[O_CONSUMER_CONFIG])))
        goto out;
    for (int i = 0; i < opts[O_CONSUMER_PROPERTY].count; i++)
        if (console_conf_add_kv(&extra, TOOL, "consumer-property",
                                opts[O_CONSUMER_PROPERTY].values[i]))
            goto out;
    for (int i = 0; i < file.n; i++)
        console_conf_set(c, file.keys[i], file.values[i]);
    for (int i = 0; i < extra.n; i++)
        console_conf_set(c, extra.keys[i], extra.values[i]);

    /* A group given in more than one place must be the same everywhere. */
    const char *given[3] = {cli_value(&opts[O_GROUP]), console_conf_get(&file, "group.id"),
                            console_conf_get(&extra, "group.id")};
    const char *group = NULL;
    char detected[1024] = "";
    bool mismatch = false;
    for (int i = 0; i < 3; i++) {
        if (!given[i])
            continue;
        if (group && strcmp(group, given[i]))
            mismatch = true;
        if (!group || strcmp(group, given[i]))
            snprintf(detected + strlen(detected), sizeof(detected) - strlen(detected), "%s'%s'",
                     *detected ? ", " : "", given[i]);
        if (!group)
            group = given[i];
    }
    if (mismatch) {
        char msg[1400];
        snprintf(msg, sizeof(msg),
                 "The group ids provided in different places (directly using '--group', via "
                 "'--consumer-property', or via '--consumer.config') do not match. Detected group "
                 "ids: %s",
                 detected);
        status = usage_error(msg);
        goto out;
    }
    if (group) {
        if (p->assign) {
            status = usage_error("Options group and partition cannot be specified together.");
            goto out;
        }
        console_conf_set(c, "group.id", group);
    } else {
        srand((unsigned)clock_mono_us() ^ (unsigned)getpid());
        snprintf(p->group, sizeof(p->group), "console-consumer-%d", rand() % 100000);
        console_conf_set(c, "group.id", p->group);
        /* The throwaway group's offsets are never wanted again. */
        if (!console_conf_get(c, "enable.auto.commit"))
            console_conf_set(c, "enable.auto.commit", "false");
    }

    const char *reset = console_conf_get(c, "auto.offset.reset");
    if (cli_has(&opts[O_FROM_BEGINNING])) {
        if (reset && strcmp(reset, "earliest")) {
            fprintf(stderr,
                    "Can't simultaneously specify --from-beginning and 'auto.offset.reset=%s', "
                    "to start from the beginning use only one of them.\n",
                    reset);
            goto out;
        }
        console_conf_set(c, "auto.offset.reset", "earliest");
    } else if (!reset) {
        console_conf_set(c, "auto.offset.reset", "latest");
    }
    console_conf_set(c, "isolation.level", cli_value(&opts[O_ISOLATION]));
    console_conf_set(c, "bootstrap.servers", cli_value(&opts[O_BOOTSTRAP]));
    status = 0;
out:
    console_conf_destroy(&file);
    console_conf_destroy(&extra);
    return status;
}

static int start(rd_kafka_t *rk, const struct plan *p)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_resp_err_t e;
    if (p->assign) {
        rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = p->offset;
        e = rd_kafka_assign(rk, l);
    } else {
        char pattern[512];
        if (p->topic)
            snprintf(pattern, sizeof(pattern), "%s", p->topic);
        else
            snprintf(pattern, sizeof(pattern), "^%s", cli_value(&opts[O_WHITELIST]));
        rd_kafka_topic_partition_list_add(l, pattern, RD_KAFKA_PARTITION_UA);
        e = rd_kafka_subscribe(rk, l);
    }
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        fprintf(stderr, TOOL ": cannot %s: %s\n", p->assign ? "assign the partition" : "subscribe",
                rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

/* Kafka's process(): until max-messages, a timeout, a signal or an error.
 * Returns the exit status; *count is the number of records printed. */
static int consume(rd_kafka_t *rk, const struct plan *p, int64_t *count)
{
    int64_t idle_deadline = p->timeout_ms >= 0 ? clock_mono_us() / 1000 + p->timeout_ms : -1;
    while (!stop && (p->max < 0 || *count < p->max)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m) {
            if (idle_deadline >= 0 && clock_mono_us() / 1000 >= idle_deadline) {
                fprintf(stderr,
                        "ERROR Error processing message, terminating consumer process: "
                        "no message within --timeout-ms %lld\n",
                        (long long)p->timeout_ms);
                return 0;
            }
            continue;
        }
        if (m->err) {
            rd_kafka_resp_err_t e = m->err;
            bool fatal = e == RD_KAFKA_RESP_ERR__FATAL ||
                         e == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
                         e == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED;
            if (e != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "%s %s\n", fatal ? "ERROR" : "WARN", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            if (fatal)
                return 1;
            continue;
        }
        console_format_write(&p->fmt, m, stdout);
        rd_kafka_message_destroy(m);
        (*count)++;
        if (fflush(stdout) || ferror(stdout)) {
            /* The reader went away (a closed pipe). */
            fprintf(stderr, "Unable to write to standard out, closing consumer.\n");
            return 1;
        }
        if (idle_deadline >= 0)
            idle_deadline = clock_mono_us() / 1000 + p->timeout_ms;
    }
    return 0;
}

static int run(struct plan *p)
{
    struct console_conf c = {0};
    int status = build_conf(&c, p);
    if (status) {
        console_conf_destroy(&c);
        return status;
    }
    rd_kafka_t *rk = console_conf_client(&c, RD_KAFKA_CONSUMER, TOOL, NULL);
    if (!rk)
        return 1;
    rd_kafka_poll_set_consumer(rk);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    int64_t count = 0;
    status = start(rk, p) ? 1 : consume(rk, p, &count);
    /* close() leaves the group and, with auto commit, commits what was read. */
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    fprintf(stderr, "Processed a total of %lld messages\n", (long long)count);
    return status;
}

int main(int argc, char **argv)
{
    int status;
    struct plan p = {0};
    if ((status = cli_start(opts, O_COUNT, argc, argv, head,
                            "This tool helps to read data from Kafka topics and outputs it to "
                            "standard output.")) >= 0)
        goto out;
    if ((status = check(&p)))
        goto out;
    status = run(&p);
out:
    cli_free(opts, O_COUNT);
    return status;
}
