/*
 * Java .properties parsing (see props.h for the accepted syntax).
 */
#include "common/props.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void put_utf8(struct buf *b, unsigned cp)
{
    uint8_t t[3];
    if (cp < 0x80) {
        t[0] = (uint8_t)cp;
        buf_append(b, t, 1);
    } else if (cp < 0x800) {
        t[0] = (uint8_t)(0xc0 | (cp >> 6));
        t[1] = (uint8_t)(0x80 | (cp & 0x3f));
        buf_append(b, t, 2);
    } else {
        t[0] = (uint8_t)(0xe0 | (cp >> 12));
        t[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        t[2] = (uint8_t)(0x80 | (cp & 0x3f));
        buf_append(b, t, 3);
    }
}

/* Reads one logical line (joining continuations) starting at *pos, unescaping
 * into key and value. Returns false at end of input. */
static bool next_pair(const char *s, size_t len, size_t *pos, int *lineno, struct buf *key,
                      struct buf *val, int *keyline)
{
    for (;;) {
        size_t i = *pos;
        if (i >= len)
            return false;
        /* Skip leading whitespace and blank lines. */
        while (i < len && is_ws(s[i]))
            i++;
        if (i < len && (s[i] == '\n' || s[i] == '\r')) {
            if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
                i++;
            *pos = i + 1;
            (*lineno)++;
            continue;
        }
        if (i < len && (s[i] == '#' || s[i] == '!')) {
            while (i < len && s[i] != '\n')
                i++;
            *pos = i < len ? i + 1 : i;
            (*lineno)++;
            continue;
        }
        if (i >= len) {
            *pos = i;
            return false;
        }
        *keyline = *lineno;
        buf_reset(key);
        buf_reset(val);
        struct buf *out = key;
        bool in_key = true, sep_seen = false, skipping_ws = false;
        while (i < len) {
            char c = s[i];
            if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < len && s[i + 1] == '\n')
                    i++;
                i++;
                (*lineno)++;
                break;
            }
            if (skipping_ws) {
                if (is_ws(c)) {
                    i++;
                    continue;
                }
                if (!sep_seen && (c == '=' || c == ':')) {
                    sep_seen = true;
                    i++;
                    continue;
                }
                skipping_ws = false;
            }
            if (c == '\\') {
                if (i + 1 >= len) {
                    i++;
                    break;
                }
                char e = s[i + 1];
                if (e == '\n' || e == '\r') {
                    /* Continuation: drop the newline and the next line's indent. */
                    i += 2;
                    if (e == '\r' && i < len && s[i] == '\n')
                        i++;
                    (*lineno)++;
                    while (i < len && is_ws(s[i]))
                        i++;
                    continue;
                }
                i += 2;
                switch (e) {
                case 't': buf_append(out, "\t", 1); break;
                case 'n': buf_append(out, "\n", 1); break;
                case 'r': buf_append(out, "\r", 1); break;
                case 'f': buf_append(out, "\f", 1); break;
                case 'u': {
                    unsigned cp = 0;
                    int k;
                    for (k = 0; k < 4 && i + (size_t)k < len && hexval(s[i + k]) >= 0; k++)
                        cp = cp * 16 + (unsigned)hexval(s[i + k]);
                    i += (size_t)k;
                    put_utf8(out, cp);
                    break;
                }
                default: buf_append(out, &e, 1); break;
                }
                continue;
            }
            if (in_key && (c == '=' || c == ':' || is_ws(c))) {
                in_key = false;
                out = val;
                sep_seen = (c == '=' || c == ':');
                skipping_ws = true;
                i++;
                continue;
            }
            buf_append(out, &c, 1);
            i++;
        }
        *pos = i;
        /* Trailing whitespace on values is kept by Java; Kafka trims config
         * values itself, so trim here for every caller. */
        while (val->len && is_ws((char)val->data[val->len - 1]))
            val->len--;
        buf_append(key, "", 1);
        buf_append(val, "", 1);
        return true;
    }
}

int props_parse(const char *text, size_t len, props_cb cb, void *ctx)
{
    struct buf key, val;
    size_t pos = 0;
    int lineno = 1, keyline = 1, rc = 0;
    buf_init(&key);
    buf_init(&val);
    while (next_pair(text, len, &pos, &lineno, &key, &val, &keyline)) {
        if (buf_failed(&key) || buf_failed(&val)) {
            rc = GR_E_NOMEM;
            break;
        }
        rc = cb((const char *)key.data, (const char *)val.data, keyline, ctx);
        if (rc)
            break;
    }
    buf_destroy(&key);
    buf_destroy(&val);
    return rc;
}

int props_load_file(const char *path, props_cb cb, void *ctx, char *errstr, size_t errsz)
{
    struct buf content;
    buf_init(&content);
    int rc = fs_read_file(path, &content, 64 << 20);
    if (rc) {
        snprintf(errstr, errsz, "cannot read %s: %s", path,
                 rc == GR_E_TOO_LARGE ? "file larger than 64 MiB" : strerror(errno));
        buf_destroy(&content);
        return rc;
    }
    rc = props_parse((const char *)content.data, content.len, cb, ctx);
    buf_destroy(&content);
    return rc;
}
