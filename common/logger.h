/*
 * Logging with levels and timestamps, one line per event.
 *
 * Lines look like Kafka's log4j output so that people and their grep habits
 * carry over:
 *   [2026-11-22 08:00:00,123] INFO [log] Loaded 12 partitions in 3 ms
 * Each line is formatted into a stack buffer and written with one write(2),
 * so lines from the flusher thread never interleave with the loop's.
 *
 * Each .c file may #define LOG_COMPONENT "name" before including this header;
 * the name appears in brackets after the level.
 */
#ifndef GREGOR_COMMON_LOGGER_H
#define GREGOR_COMMON_LOGGER_H

#include <stdbool.h>

enum logger_level {
    LOGGER_ERROR = 0,
    LOGGER_WARN = 1,
    LOGGER_INFO = 2,
    LOGGER_DEBUG = 3,
    LOGGER_TRACE = 4
};

extern enum logger_level logger_threshold;

/* Only messages at or above the given importance are written (default INFO;
 * the GREGOR_LOG_LEVEL environment variable is read by logger_init_from_env). */
void logger_set_level(enum logger_level level);
/* Parses "error", "warn", "info", "debug" or "trace" (any case). Returns 0 or -1. */
int logger_parse_level(const char *s, enum logger_level *out);
/* Reads GREGOR_LOG_LEVEL if set; an unknown value is reported and ignored. */
void logger_init_from_env(void);
/* Where lines go (default 2, stderr). The fd is borrowed, never closed. */
void logger_set_fd(int fd);

void logger_write(enum logger_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifndef LOG_COMPONENT
#define LOG_COMPONENT "gregor"
#endif

#define LOG_AT(lvl, ...)                                                                           \
    do {                                                                                           \
        if ((lvl) <= logger_threshold)                                                             \
            logger_write((lvl), LOG_COMPONENT, __VA_ARGS__);                                       \
    } while (0)
#define LOG_ERROR(...) LOG_AT(LOGGER_ERROR, __VA_ARGS__)
#define LOG_WARN(...) LOG_AT(LOGGER_WARN, __VA_ARGS__)
#define LOG_INFO(...) LOG_AT(LOGGER_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) LOG_AT(LOGGER_DEBUG, __VA_ARGS__)
#define LOG_TRACE(...) LOG_AT(LOGGER_TRACE, __VA_ARGS__)

#endif
