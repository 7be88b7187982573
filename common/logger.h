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
#include <stddef.h>
#include <stdint.h>

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

/* ---- text from clients --------------------------------------------------
 *
 * Anything a client chose (client.id, a topic name that was refused, bytes
 * quoted from a request) is escaped before it reaches a log line, so that it
 * can neither forge lines (a newline), nor drive a terminal (escape codes),
 * nor make one line huge; and lines a client can cause at will are
 * rate-limited, so that a client cannot fill the disk with them. */

/* Copies len bytes of s (NULL: "(null)") into out[outsz], NUL-terminated:
 * printable ASCII stays, every other byte and the backslash become \xNN.
 * When out cannot hold all of it the copy ends with "..." (never in the
 * middle of an escape). Returns out. */
const char *logger_escape(const char *s, size_t len, char *out, size_t outsz);
/* The buffer that holds n input bytes escaped, in full. */
#define LOGGER_ESCAPED_SIZE(n) (4 * (n) + 4)

/* A per-message-kind budget of lines: at most LOGGER_RATE_LINES a second. */
#define LOGGER_RATE_LINES 10
struct logger_rate {
    int64_t second;            /* the second (monotonic) lines are being counted in */
    unsigned lines;            /* lines written in it */
    unsigned suppressed;       /* lines dropped since the last one written or reported */
    enum logger_level level;   /* of the kind's lines, for the summary */
    const char *component;     /* LOG_COMPONENT of the call site */
    const char *format;        /* the kind's format string, names it in the summary */
    struct logger_rate *next;  /* in the list logger_rate_flush() walks */
    bool listed;               /* on that list */
};
/* True if one more line of r's kind may be written now. A false answer
 * counts the line as suppressed; a true one first writes the "suppressed N
 * lines like ..." summary of what was dropped since the last line. Used from
 * the loop thread only (the budgets are not locked). */
bool logger_rate_admit(struct logger_rate *r, enum logger_level level, const char *component,
                       const char *format);
/* Writes the summary of every kind whose dropped lines have not been
 * reported and whose second is over, so that the end of a flood is told
 * even when no later line of its kind comes. The broker calls it from a
 * timer, about once a second. */
void logger_rate_flush(void);

/* One line per interval for a condition that persists (a limit reached,
 * descriptors exhausted): the line that is written says how many events it
 * stands for. Zero-initialised: the first event is due at once. */
struct logger_every {
    double next;    /* time before which no line is due */
    uint64_t count; /* events counted since the last line was due */
};
/* Counts n events at time now (seconds, on any one clock). True when a line
 * is due: *count then holds the events since the last due line, these n
 * included, and the next line is due interval seconds later. */
bool logger_every_due(struct logger_every *e, double now, double interval, uint64_t n,
                      uint64_t *count);

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

/* LOG_AT with a budget of its own (one per call site): lines beyond
 * LOGGER_RATE_LINES a second are dropped and summed up in a "suppressed N
 * lines like ..." line. For lines a client can cause. The format must be a
 * string literal. */
#define LOG_RATE(lvl, fmt, ...)                                                                    \
    do {                                                                                           \
        static struct logger_rate rate_;                                                           \
        if ((lvl) <= logger_threshold && logger_rate_admit(&rate_, (lvl), LOG_COMPONENT, fmt))     \
            logger_write((lvl), LOG_COMPONENT, fmt, __VA_ARGS__);                                  \
    } while (0)

#endif
