/*
 * Kafka's rule for topic names, in one place: 1 to 249 characters of ASCII
 * letters, digits, '.', '_' and '-', and not "." or "..". Topic names become
 * directory names in log.dirs and path components in ZooKeeper, so the rule
 * also keeps both inside where they belong.
 */
#ifndef GREGOR_COMMON_TOPIC_NAME_H
#define GREGOR_COMMON_TOPIC_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* True if name (may be NULL: false) is a legal topic name. */
bool topic_name_valid(const char *name);
/* The same for the n bytes at name, as a name arrives on the wire: a NUL
 * byte is not a legal character, so "t\0x" is refused, never read as "t". */
bool topic_name_valid_n(const char *name, size_t n);

#endif
