/*
 * Request heads of the metrics endpoint (see metrics_http_parse.h).
 *
 * Strict where it costs nothing and lenient where clients differ: lines end
 * with CRLF or a bare LF, header fields are not interpreted (the answer is
 * the same whatever they say, and the connection closes after it), and the
 * target may carry a query (Prometheus adds none, a person may).
 */
#include "broker/metrics/metrics_http_parse.h"

#include <string.h>

/* RFC 9110 tchar: the characters of a method. */
static bool tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The end of the head (just past its empty line) in in[0..len), or 0. */
static size_t head_end(const char *in, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (in[i] != '\n')
            continue;
        if (i + 1 < len && in[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && in[i + 1] == '\r' && in[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* One line of in[*pos..end) without its line end, moving *pos past it. */
static void next_line(const char *in, size_t end, size_t *pos, const char **line, size_t *n)
{
    const char *nl = memchr(in + *pos, '\n', end - *pos);
    size_t stop = nl ? (size_t)(nl - in) : end;
    *line = in + *pos;
    *n = stop - *pos;
    if (*n && (*line)[*n - 1] == '\r')
        (*n)--;
    *pos = nl ? stop + 1 : end;
}

static bool answer(struct metrics_http_req *out, int status)
{
    out->status = status;
    return true;
}

bool metrics_http_parse(const char *in, size_t len, size_t max_head, struct metrics_http_req *out)
{
    out->status = 0;
    out->head_only = false;
    size_t end = head_end(in, len < max_head ? len : max_head);
    if (!end)
        return len >= max_head ? answer(out, 431) : false;
    size_t pos = 0, n;
    const char *line;
    next_line(in, end, &pos, &line, &n);
    /* method SP request-target SP HTTP/1.x */
    size_t m = 0;
    while (m < n && tchar(line[m]))
        m++;
    if (m == 0 || m == n || line[m] != ' ')
        return answer(out, 400);
    const char *target = line + m + 1;
    const char *sp = memchr(target, ' ', n - m - 1);
    if (!sp || sp == target)
        return answer(out, 400);
    size_t tlen = (size_t)(sp - target);
    const char *version = sp + 1;
    size_t vlen = n - (size_t)(version - line);
    for (size_t i = 0; i < tlen; i++)
        if ((unsigned char)target[i] <= ' ' || target[i] == 0x7f)
            return answer(out, 400);
    if (vlen != 8 || memcmp(version, "HTTP/1.", 7))
        return answer(out, vlen >= 5 && !memcmp(version, "HTTP/", 5) ? 505 : 400);
    if (version[7] != '0' && version[7] != '1')
        return answer(out, 505);
    /* Header lines: name ":" value, no control characters but tab. */
    while (pos < end) {
        next_line(in, end, &pos, &line, &n);
        if (n == 0)
            break;
        const char *colon = memchr(line, ':', n);
        if (!colon || colon == line)
            return answer(out, 400);
        for (size_t i = 0; i < n; i++)
            if (((unsigned char)line[i] < ' ' && line[i] != '\t') || line[i] == 0x7f)
                return answer(out, 400);
    }
    bool get = m == 3 && !memcmp(in, "GET", 3);
    bool head = m == 4 && !memcmp(in, "HEAD", 4);
    if (!get && !head)
        return answer(out, 405);
    out->head_only = head;
    const char *q = memchr(target, '?', tlen);
    size_t plen = q ? (size_t)(q - target) : tlen;
    if (plen != 8 || memcmp(target, "/metrics", 8))
        return answer(out, 404);
    return answer(out, 200);
}

const char *metrics_http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Internal Server Error";
    }
}
