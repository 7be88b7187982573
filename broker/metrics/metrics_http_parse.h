/*
 * The request head of the metrics endpoint's tiny HTTP/1.0-1.1 server:
 * what to answer to the bytes read so far.
 *
 * Pure: it owns nothing, keeps no state between calls and reads only the
 * len bytes it is given (no NUL needed), so the connection calls it again
 * with everything read each time more arrives. Only GET (and HEAD) of
 * /metrics is served; the header lines are checked for shape and ignored.
 */
#ifndef GREGOR_BROKER_METRICS_METRICS_HTTP_PARSE_H
#define GREGOR_BROKER_METRICS_METRICS_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* The largest request head read (request line and headers); a head not
 * complete within it is answered 431. */
#define METRICS_HTTP_HEAD_MAX 8192

struct metrics_http_req {
    int status;     /* 200, or the error to answer: 400, 404, 405, 431, 505 */
    bool head_only; /* HEAD: the answer has no body */
};

/* Looks at the first len bytes of a connection's input, of which at most
 * max_head are a request head. Returns false while the head is incomplete
 * and under max_head bytes (read more); true with *out set once there is an
 * answer, an error or the page. */
bool metrics_http_parse(const char *in, size_t len, size_t max_head, struct metrics_http_req *out);

/* The reason phrase of status ("OK", "Not Found"...). */
const char *metrics_http_reason(int status);

#endif
