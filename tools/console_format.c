/* The console consumer's record format; see console_format.h. */
#include "tools/console_format.h"

#include <inttypes.h>
#include <string.h>
#include <strings.h>

void console_format_init(struct console_format *f)
{
    memset(f, 0, sizeof(*f));
    f->print_value = true;
    f->key_separator = "\t";
    f->line_separator = "\n";
    f->headers_separator = ",";
    f->null_literal = "null";
}

/* Kafka's getBoolProperty: "true" in any case, spaces trimmed. */
static bool is_true(const char *v)
{
    while (*v == ' ')
        v++;
    size_t n = strlen(v);
    while (n > 0 && v[n - 1] == ' ')
        n--;
    return n == 4 && !strncasecmp(v, "true", 4);
}

int console_format_set(struct console_format *f, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return -1;
    size_t klen = (size_t)(eq - kv);
    const char *v = eq + 1;
#define KEY_IS(k) (klen == sizeof(k) - 1 && !strncmp(kv, k, klen))
    if (KEY_IS("print.timestamp"))
        f->print_timestamp = is_true(v);
    else if (KEY_IS("print.partition"))
        f->print_partition = is_true(v);
    else if (KEY_IS("print.offset"))
        f->print_offset = is_true(v);
    else if (KEY_IS("print.headers"))
        f->print_headers = is_true(v);
    else if (KEY_IS("print.key"))
        f->print_key = is_true(v);
    else if (KEY_IS("print.value"))
        f->print_value = is_true(v);
    else if (KEY_IS("key.separator"))
        f->key_separator = v;
    else if (KEY_IS("line.separator"))
        f->line_separator = v;
    else if (KEY_IS("headers.separator"))
        f->headers_separator = v;
    else if (KEY_IS("null.literal"))
        f->null_literal = v;
#undef KEY_IS
    return 0;
}

/* Between two fields the key separator, after the last the line separator. */
static void separator(const struct console_format *f, bool more, FILE *out)
{
    fputs(more ? f->key_separator : f->line_separator, out);
}

static void write_headers(const struct console_format *f, const rd_kafka_message_t *m, FILE *out)
{
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(m, &hdrs) || !hdrs || rd_kafka_header_cnt(hdrs) == 0) {
        fputs("NO_HEADERS", out);
        return;
    }
    const char *name;
    const void *val;
    size_t size;
    for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &val, &size); i++) {
        if (i)
            fputs(f->headers_separator, out);
        fprintf(out, "%s:", name);
        if (val)
            fwrite(val, 1, size, out);
        else
            fputs(f->null_literal, out);
    }
}

void console_format_write(const struct console_format *f, const rd_kafka_message_t *m, FILE *out)
{
    if (f->print_timestamp) {
        rd_kafka_timestamp_type_t type;
        int64_t ts = rd_kafka_message_timestamp(m, &type);
        if (type == RD_KAFKA_TIMESTAMP_CREATE_TIME)
            fprintf(out, "CreateTime:%" PRId64, ts);
        else if (type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME)
            fprintf(out, "LogAppendTime:%" PRId64, ts);
        else
            fputs("NO_TIMESTAMP", out);
        separator(f,
                  f->print_partition || f->print_offset || f->print_headers || f->print_key ||
                      f->print_value,
                  out);
    }
    if (f->print_partition) {
        fprintf(out, "Partition:%" PRId32, m->partition);
        separator(f, f->print_offset || f->print_headers || f->print_key || f->print_value, out);
    }
    if (f->print_offset) {
        fprintf(out, "Offset:%" PRId64, m->offset);
        separator(f, f->print_headers || f->print_key || f->print_value, out);
    }
    if (f->print_headers) {
        write_headers(f, m, out);
        separator(f, f->print_key || f->print_value, out);
    }
    if (f->print_key) {
        if (m->key)
            fwrite(m->key, 1, m->key_len, out);
        else
            fputs(f->null_literal, out);
        separator(f, f->print_value, out);
    }
    if (f->print_value) {
        if (m->payload)
            fwrite(m->payload, 1, m->len, out);
        else
            fputs(f->null_literal, out);
        fputs(f->line_separator, out);
    }
}
