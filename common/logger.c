/*
 * Level-filtered, timestamped log lines (see logger.h).
 */
#include "common/logger.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

enum logger_level logger_threshold = LOGGER_INFO;
static int logger_fd = 2;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG", "TRACE"};

void logger_set_level(enum logger_level level)
{
    logger_threshold = level;
}

int logger_parse_level(const char *s, enum logger_level *out)
{
    for (int i = 0; i <= LOGGER_TRACE; i++) {
        if (!strcasecmp(s, level_names[i]) || (i == LOGGER_WARN && !strcasecmp(s, "warning"))) {
            *out = (enum logger_level)i;
            return 0;
        }
    }
    return -1;
}

void logger_init_from_env(void)
{
    const char *s = getenv("GREGOR_LOG_LEVEL");
    enum logger_level lvl;
    if (!s || !*s)
        return;
    if (logger_parse_level(s, &lvl))
        logger_write(LOGGER_WARN, "logger",
                     "GREGOR_LOG_LEVEL=%s is not one of error, warn, info, debug, trace; using info",
                     s);
    else
        logger_threshold = lvl;
}

void logger_set_fd(int fd)
{
    logger_fd = fd;
}

void logger_write(enum logger_level level, const char *component, const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "[%04d-%02d-%02d %02d:%02d:%02d,%03ld] %s [%s] ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, level_names[level], component);
    if (n < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2) {
        /* Truncated: mark it so a reader knows the line was cut. */
        len = sizeof(line) - 2;
        line[len - 3] = line[len - 2] = line[len - 1] = '.';
    }
    line[len++] = '\n';
    ssize_t w = write(logger_fd, line, len);
    (void)w; /* nowhere to report a failed log write */
}

const char *logger_escape(const char *s, size_t len, char *out, size_t outsz)
{
    static const char hex[] = "0123456789abcdef";
    if (!outsz)
        return out;
    if (!s) {
        s = "(null)";
        len = 6;
    }
    size_t full = 0;
    for (size_t i = 0; i < len && full < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        full += c >= 0x20 && c < 0x7f && c != '\\' ? 1 : 4;
    }
    /* Cut short: leave room for "..." (or what of it fits). */
    size_t dots = full < outsz ? 0 : outsz - 1 < 3 ? outsz - 1 : 3;
    size_t room = outsz - 1 - dots, o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool plain = c >= 0x20 && c < 0x7f && c != '\\';
        if (o + (plain ? 1 : 4) > room)
            break;
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    for (size_t k = 0; k < dots; k++)
        out[o++] = '.';
    out[o] = '\0';
    return out;
}

static struct logger_rate *rate_list; /* every budget used so far */

static int64_t mono_second(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static void rate_report(struct logger_rate *r)
{
    logger_write(r->level, r->component, "suppressed %u lines like \"%s\" (at most %d a second)",
                 r->suppressed, r->format, LOGGER_RATE_LINES);
    r->suppressed = 0;
}

bool logger_rate_admit(struct logger_rate *r, enum logger_level level, const char *component,
                       const char *format)
{
    if (!r->listed) {
        r->level = level;
        r->component = component;
        r->format = format;
        r->next = rate_list;
        rate_list = r;
        r->listed = true;
    }
    int64_t now = mono_second();
    if (now != r->second) {
        r->second = now;
        r->lines = 0;
    }
    if (r->lines >= LOGGER_RATE_LINES) {
        r->suppressed++;
        return false;
    }
    r->lines++;
    if (r->suppressed)
        rate_report(r);
    return true;
}

bool logger_every_due(struct logger_every *e, double now, double interval, uint64_t n,
                      uint64_t *count)
{
    e->count += n;
    if (now < e->next)
        return false;
    *count = e->count;
    e->count = 0;
    e->next = now + interval;
    return true;
}

void logger_rate_flush(void)
{
    int64_t now = mono_second();
    for (struct logger_rate *r = rate_list; r; r = r->next)
        if (r->suppressed && r->second != now)
            rate_report(r);
}
