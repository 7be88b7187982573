/* --to-datetime and --by-duration; see groups_time.h. */
#include "tools/groups_time.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int groups_time_parse_datetime(const char *text, int64_t *epoch_ms, char *err, size_t errsz)
{
    const char *t = strchr(text, 'T');
    if (!t) {
        snprintf(err, errsz,
                 "Error parsing timestamp. It does not contain a 'T' according to ISO8601 format");
        return -1;
    }
    struct tm tm = {0};
    int ms = 0, used = 0;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &used) != 6)
        goto bad;
    const char *p = text + used;
    if (*p == '.') {
        p++;
        int digits = 0;
        while (isdigit((unsigned char)*p) && digits < 3) {
            ms = ms * 10 + (*p++ - '0');
            digits++;
        }
        if (digits != 3)
            goto bad;
    }
    long offset_s = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, hh, mm = 0, n = 0;
        p++;
        if (sscanf(p, "%2d:%2d%n", &hh, &mm, &n) == 2 || sscanf(p, "%2d%2d%n", &hh, &mm, &n) == 2 ||
            sscanf(p, "%2d%n", &hh, &n) == 1)
            p += n;
        else
            goto bad;
        offset_s = sign * (hh * 3600L + mm * 60L);
    }
    if (*p || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        goto bad;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *epoch_ms = ((int64_t)timegm(&tm) - offset_s) * 1000 + ms;
    return 0;
bad:
    snprintf(err, errsz, "Unparseable date: \"%s\"", text);
    return -1;
}

int groups_time_parse_duration(const char *text, int64_t *ms, char *err, size_t errsz)
{
    const char *p = text;
    int sign = 1;
    if (*p == '-' || *p == '+')
        sign = *p++ == '-' ? -1 : 1;
    if (*p != 'P' && *p != 'p')
        goto bad;
    p++;
    double total = 0;
    int in_time = 0, any = 0;
    while (*p) {
        if (*p == 'T' || *p == 't') {
            if (in_time)
                goto bad;
            in_time = 1;
            p++;
            continue;
        }
        char *end;
        double v = strtod(p, &end);
        if (end == p)
            goto bad;
        char unit = (char)toupper((unsigned char)*end);
        if (!in_time && unit == 'D')
            total += v * 86400.0;
        else if (in_time && unit == 'H')
            total += v * 3600.0;
        else if (in_time && unit == 'M')
            total += v * 60.0;
        else if (in_time && unit == 'S')
            total += v;
        else
            goto bad;
        any = 1;
        p = end + 1;
    }
    if (!any)
        goto bad;
    *ms = (int64_t)(sign * total * 1000.0);
    return 0;
bad:
    snprintf(err, errsz, "Text cannot be parsed to a Duration");
    return -1;
}
