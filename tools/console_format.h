/*
 * Kafka 2.8's DefaultMessageFormatter, the console consumer's output: the
 * print.* and separator properties and the exact layout of a record
 * ("CreateTime:1700000000000<sep>Partition:0<sep>Offset:5<sep>key<sep>value").
 *
 * It only formats; it does not read records or own the output stream.
 */
#ifndef GREGOR_TOOLS_CONSOLE_FORMAT_H
#define GREGOR_TOOLS_CONSOLE_FORMAT_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdio.h>

struct console_format {
    bool print_timestamp;          /* print.timestamp (default false) */
    bool print_partition;          /* print.partition (default false) */
    bool print_offset;             /* print.offset (default false) */
    bool print_headers;            /* print.headers (default false) */
    bool print_key;                /* print.key (default false) */
    bool print_value;              /* print.value (default true) */
    const char *key_separator;     /* key.separator (default "\t"), borrowed */
    const char *line_separator;    /* line.separator (default "\n"), borrowed */
    const char *headers_separator; /* headers.separator (default ","), borrowed */
    const char *null_literal;      /* null.literal (default "null"), borrowed */
};

/* Kafka's defaults. */
void console_format_init(struct console_format *f);
/* Applies one "key=value" formatter property (borrowed; must outlive f).
 * Unknown keys are ignored, as Kafka's formatter ignores them. Returns 0,
 * or -1 if kv is not key=value. */
int console_format_set(struct console_format *f, const char *kv);
/* Writes record m (borrowed) to out. */
void console_format_write(const struct console_format *f, const rd_kafka_message_t *m, FILE *out);

#endif
