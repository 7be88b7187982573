/*
 * gregor-console-producer: Kafka 2.8's kafka-console-producer on
 * librdkafka, with its flags, defaults and messages.
 *
 *   gregor-console-producer --bootstrap-server B --topic T
 *       [--property parse.key=true --property key.separator=:]
 *       [--producer-property k=v ...] [--producer.config FILE]
 *       [--request-required-acks N] [--compression-codec [C]] [--sync]
 *
 * Each line of stdin is one record (the line without its newline). With
 * parse.key=true the text before the first key.separator (default a tab) is
 * the key; a line without it stops the tool with Kafka's "No key found on
 * line N" unless ignore.error=true, which sends the whole line as the value
 * with no key.
 *
 * Properties are gathered as Kafka's ProducerConfig does: the file, then
 * --producer-property, then the flags; a flag given on the command line
 * overrides a property, a flag's default does not (maybeMergeOptions).
 * compression.type is always the flag's (none unless given), as in Kafka.
 * The partitioner is Kafka's (murmur2 of the key) unless one is set.
 *
 * Kafka logs a failed send and carries on with exit status 0; this tool
 * prints Kafka's line for each failed record ("Error when sending message
 * to topic T with key: ...") and exits 1 at the end, so a script notices.
 * The ">" prompt is printed only when stdin is a terminal.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/cli_opts.h"
#include "tools/console_conf.h"

#define TOOL "gregor-console-producer"

static const char *const head =
    "Usage: " TOOL " --bootstrap-server HOST:PORT --topic TOPIC [options]\n"
    "Reads data from standard input and publishes it to Kafka.";

enum {
    O_BOOTSTRAP,
    O_BROKER_LIST,
    O_TOPIC,
    O_SYNC,
    O_COMPRESSION,
    O_TIMEOUT,
    O_ACKS,
    O_REQUEST_TIMEOUT,
    O_RETRIES,
    O_RETRY_BACKOFF,
    O_PROPERTY,
    O_PRODUCER_PROPERTY,
    O_PRODUCER_CONFIG,
    O_HELP,
    O_VERSION,
    O_COUNT
};

static struct cli_opt opts[O_COUNT] = {
    [O_BOOTSTRAP] = {"bootstrap-server", CLI_REQUIRED, "server to connect to", NULL,
                     "REQUIRED unless --broker-list(deprecated) is specified. The server(s) to "
                     "connect to."},
    [O_BROKER_LIST] = {"broker-list", CLI_REQUIRED, "broker-list", NULL,
                       "DEPRECATED, use --bootstrap-server instead."},
    [O_TOPIC] = {"topic", CLI_REQUIRED, "topic", NULL,
                 "REQUIRED: The topic id to produce messages to."},
    [O_SYNC] = {"sync", CLI_FLAG, NULL, NULL,
                "If set message send requests to the brokers are synchronously, one at a time as "
                "they arrive."},
    [O_COMPRESSION] = {"compression-codec", CLI_OPTIONAL, "compression-codec", NULL,
                       "The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or "
                       "'zstd'. If specified without value, then it defaults to 'gzip'"},
    [O_TIMEOUT] = {"timeout", CLI_REQUIRED, "timeout_ms", "1000",
                   "The longest a message waits for a batch to fill (linger.ms), in ms."},
    [O_ACKS] = {"request-required-acks", CLI_REQUIRED, "request required acks", "1",
                "The required acks of the producer requests"},
    [O_REQUEST_TIMEOUT] = {"request-timeout-ms", CLI_REQUIRED, "request timeout ms", "1500",
                           "The ack timeout of the producer requests. Value must be "
                           "non-negative and non-zero"},
    [O_RETRIES] = {"message-send-max-retries", CLI_REQUIRED, "Integer", "3",
                   "How many times a failed send is retried before the message is dropped."},
    [O_RETRY_BACKOFF] = {"retry-backoff-ms", CLI_REQUIRED, "Integer", "100",
                         "The wait before each retry, in ms."},
    [O_PROPERTY] = {"property", CLI_REQUIRED, "prop", NULL,
                    "A mechanism to pass properties to the line reader: parse.key, "
                    "key.separator, ignore.error."},
    [O_PRODUCER_PROPERTY] = {"producer-property", CLI_REQUIRED, "producer_prop", NULL,
                             "A mechanism to pass user-defined properties in the form key=value "
                             "to the producer."},
    [O_PRODUCER_CONFIG] = {"producer.config", CLI_REQUIRED, "config file", NULL,
                           "Producer config properties file. Note that [producer-property] "
                           "takes precedence over this config."},
    [O_HELP] = {"help", CLI_FLAG, NULL, NULL, "Print usage information."},
    [O_VERSION] = {"version", CLI_FLAG, NULL, NULL, "Display Kafka version."},
};

static int usage_error(const char *msg)
{
    return cli_usage_error(msg, head, opts, O_COUNT);
}

/* The line reader's settings (Kafka's LineMessageReader). */
struct reader {
    bool parse_key;        /* parse.key */
    const char *separator; /* key.separator, borrowed; default "\t" */
    bool ignore_error;     /* ignore.error */
};

static bool prop_true(const char *v)
{
    while (*v == ' ')
        v++;
    return !strncasecmp(v, "true", 4) && (v[4] == 0 || v[4] == ' ');
}

static int reader_configure(struct reader *r)
{
    r->separator = "\t";
    for (int i = 0; i < opts[O_PROPERTY].count; i++) {
        const char *kv = opts[O_PROPERTY].values[i];
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
            char msg[512];
            snprintf(msg, sizeof(msg), "Invalid property: %s; give it as --property key=value", kv);
            return usage_error(msg);
        }
        size_t klen = (size_t)(eq - kv);
        if (klen == 9 && !strncmp(kv, "parse.key", klen))
            r->parse_key = prop_true(eq + 1);
        else if (klen == 13 && !strncmp(kv, "key.separator", klen))
            r->separator = eq + 1;
        else if (klen == 12 && !strncmp(kv, "ignore.error", klen))
            r->ignore_error = prop_true(eq + 1);
    }
    if (r->parse_key && !*r->separator)
        return usage_error("key.separator must not be empty when parse.key=true");
    return 0;
}

static int failed;

/* Kafka's ErrorLoggingCallback line, once per record that failed. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (!m->err)
        return;
    failed++;
    char key[32];
    if (m->key)
        snprintf(key, sizeof(key), "%zu bytes", m->key_len);
    else
        snprintf(key, sizeof(key), "null");
    fprintf(stderr,
            "ERROR Error when sending message to topic %s with key: %s, value: %zu bytes with "
            "error: %s\n",
            rd_kafka_topic_name(m->rkt), key, m->len, rd_kafka_err2str(m->err));
}

/* Kafka's maybeMergeOptions: the flag's value goes in when it was given, or
 * when the user set no such property. */
static int merge(struct console_conf *c, const char *key, int opt)
{
    if (cli_has(&opts[opt]) || !console_conf_get(c, key))
        return console_conf_set(c, key, cli_value(&opts[opt]));
    return 0;
}

static int build_conf(struct console_conf *c, const char *bootstrap)
{
    if (cli_has(&opts[O_PRODUCER_CONFIG]) &&
        console_conf_load(c, TOOL, cli_value(&opts[O_PRODUCER_CONFIG])))
        return -1;
    for (int i = 0; i < opts[O_PRODUCER_PROPERTY].count; i++)
        if (console_conf_add_kv(c, TOOL, "producer-property", opts[O_PRODUCER_PROPERTY].values[i]))
            return -1;
    const char *codec = "none";
    if (cli_has(&opts[O_COMPRESSION]))
        codec = cli_value(&opts[O_COMPRESSION]) && *cli_value(&opts[O_COMPRESSION])
                    ? cli_value(&opts[O_COMPRESSION])
                    : "gzip";
    if (console_conf_set(c, "bootstrap.servers", bootstrap) ||
        console_conf_set(c, "compression.type", codec))
        return -1;
    if (!console_conf_get(c, "client.id") && console_conf_set(c, "client.id", "console-producer"))
        return -1;
    /* Keyed records land where Kafka's Java producer puts them. */
    if (!console_conf_get(c, "partitioner") && console_conf_set(c, "partitioner", "murmur2_random"))
        return -1;
    if (merge(c, "linger.ms", O_TIMEOUT) || merge(c, "acks", O_ACKS) ||
        merge(c, "request.timeout.ms", O_REQUEST_TIMEOUT) || merge(c, "retries", O_RETRIES) ||
        merge(c, "retry.backoff.ms", O_RETRY_BACKOFF))
        return -1;
    return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int produce_line(rd_kafka_t *rk, const char *topic, const struct reader *r, char *line,
                        size_t len, long lineno, bool sync)
{
    const char *key = NULL;
    size_t key_len = 0;
    char *value = line;
    if (r->parse_key) {
        char *sep = strstr(line, r->separator);
        if (sep) {
            key = line;
            key_len = (size_t)(sep - line);
            value = sep + strlen(r->separator);
        } else if (!r->ignore_error) {
            fprintf(stderr, "ERROR No key found on line %ld: %s\n", lineno, line);
            return -1;
        }
    }
    size_t value_len = len - (size_t)(value - line);
    rd_kafka_resp_err_t e;
    while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key_len),
                                  RD_KAFKA_V_VALUE(value, value_len),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
           RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(rk, 100);
    if (e) {
        fprintf(stderr, "ERROR Error when sending message to topic %s: %s\n", topic,
                rd_kafka_err2str(e));
        failed++;
        return 0;
    }
    if (sync)
        rd_kafka_flush(rk, -1);
    else
        rd_kafka_poll(rk, 0);
    return 0;
}

static int run(const char *bootstrap, const char *topic, const struct reader *r)
{
    struct console_conf c = {0};
    if (build_conf(&c, bootstrap)) {
        console_conf_destroy(&c);
        return 1;
    }
    rd_kafka_t *rk = console_conf_client(&c, RD_KAFKA_PRODUCER, TOOL, on_delivery);
    if (!rk)
        return 1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    bool prompt = isatty(0);
    bool sync = cli_has(&opts[O_SYNC]);
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    int status = 0;
    for (;;) {
        if (prompt) {
            fputs(">", stdout);
            fflush(stdout);
        }
        ssize_t n = getline(&line, &cap, stdin);
        if (n < 0 || stop)
            break;
        lineno++;
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = 0;
        if (n > 0 && line[n - 1] == '\r')
            line[--n] = 0;
        if (produce_line(rk, topic, r, line, (size_t)n, lineno, sync)) {
            status = 1;
            break;
        }
    }
    free(line);
    /* Kafka's close() waits for every record in flight; so does this. */
    while (rd_kafka_outq_len(rk) > 0 && rd_kafka_flush(rk, 1000) == RD_KAFKA_RESP_ERR__TIMED_OUT &&
           !stop)
        ;
    if (rd_kafka_outq_len(rk) > 0) {
        fprintf(stderr, TOOL ": %d records were still unsent when interrupted\n",
                rd_kafka_outq_len(rk));
        status = 1;
    }
    rd_kafka_destroy(rk);
    if (failed) {
        fprintf(stderr, TOOL ": %d records could not be delivered\n", failed);
        status = 1;
    }
    return status;
}

int main(int argc, char **argv)
{
    char err[512];
    int status;
    if ((status = cli_start(opts, O_COUNT, argc, argv, head,
                            "Read data from standard input and publish it to Kafka.")) >= 0)
        goto out;
    const char *bootstrap = cli_has(&opts[O_BOOTSTRAP]) ? cli_value(&opts[O_BOOTSTRAP])
                                                        : cli_value(&opts[O_BROKER_LIST]);
    if (!cli_has(&opts[O_TOPIC])) {
        status = usage_error("Missing required argument \"[topic]\"");
        goto out;
    }
    if (!bootstrap) {
        status = usage_error("Missing required argument \"[bootstrap-server]\"");
        goto out;
    }
    int64_t n;
    const int numeric[] = {O_TIMEOUT, O_REQUEST_TIMEOUT, O_RETRIES, O_RETRY_BACKOFF};
    for (size_t i = 0; i < sizeof(numeric) / sizeof(numeric[0]); i++)
        if (cli_int(&opts[numeric[i]], &n, err, sizeof(err))) {
            status = usage_error(err);
            goto out;
        }
    const char *codec = cli_value(&opts[O_COMPRESSION]);
    if (codec && *codec && strcmp(codec, "none") && strcmp(codec, "gzip") &&
        strcmp(codec, "snappy") && strcmp(codec, "lz4") && strcmp(codec, "zstd")) {
        snprintf(err, sizeof(err),
                 "Unknown compression codec '%s': use none, gzip, snappy, lz4 or zstd", codec);
        status = usage_error(err);
        goto out;
    }
    struct reader r = {0};
    if ((status = reader_configure(&r)))
        goto out;
    status = run(bootstrap, cli_value(&opts[O_TOPIC]), &r);
out:
    cli_free(opts, O_COUNT);
    return status;
}
