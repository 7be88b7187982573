/*
 * A reader for Java .properties files (server.properties, meta.properties).
 *
 * Supports what Kafka's files use: '#' and '!' comments, "key=value",
 * "key:value" and "key value", whitespace around keys and values, backslash
 * line continuation, and the escapes \t \n \r \f \\ \uXXXX (UTF-8 encoded).
 * It only splits lines into pairs: what the keys mean is the caller's business.
 */
#ifndef GREGOR_COMMON_PROPS_H
#define GREGOR_COMMON_PROPS_H

#include <stddef.h>

/* Called once per key, in file order. key and value are NUL-terminated and
 * valid only during the call; line is the 1-based line the key started on.
 * A non-zero return stops parsing and is returned by props_parse(). */
typedef int (*props_cb)(const char *key, const char *value, int line, void *ctx);

/* Parses text (len bytes, borrowed). Returns 0, a callback's non-zero value,
 * or GR_E_NOMEM. */
int props_parse(const char *text, size_t len, props_cb cb, void *ctx);

/* Reads the file at path and parses it. Returns 0, a callback's value, or a
 * negative gregor error with errstr naming the file and the reason. */
int props_load_file(const char *path, props_cb cb, void *ctx, char *errstr, size_t errsz);

#endif
