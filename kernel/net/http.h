/* http.h: HTTP/1.1 requests (RFC 9112) as a server reads them: finding the
 * end of the header block, parsing the request line and the headers that
 * matter here, and the limits. Bodies are Content-Length only (a chunked
 * request body is refused with 501; no client of the API sends one). */
#ifndef NET_HTTP_H
#define NET_HTTP_H
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEADER_MAX 8192          /* request line + headers: beyond, 431 */
#define HTTP_BODY_MAX (1024 * 1024)   /* beyond, 413 */

struct http_request {
    const char *method;      /* points into the parsed buffer (not NUL-terminated) */
    size_t method_len;
    const char *path;        /* the target without its query */
    size_t path_len;
    int minor;               /* HTTP/1.minor */
    uint64_t content_length; /* 0 without a body */
    int keep_alive;          /* the connection may carry another request */
    int expect_continue;     /* the client waits for 100 Continue */
    const char *authorization; /* the Authorization value, or NULL */
    size_t authorization_len;
};

/* Length of the header block at the start of buf (through its empty line),
 * or 0 when it is not complete yet. */
size_t http_head_length(const char *buf, size_t len);

/* Parses a complete header block. Returns 0, or the status to answer
 * with: 400 (malformed), 413 (body too large), 417 (unknown expectation),
 * 501 (transfer coding), 505 (HTTP version). */
int http_parse(const char *buf, size_t len, struct http_request *req);

/* 1 when the method is exactly `name`. */
int http_method_is(const struct http_request *req, const char *name);
/* 1 when the path is exactly `path`. */
int http_path_is(const struct http_request *req, const char *path);

/* The reason phrase of a status code ("Not Found"). */
const char *http_reason(int status);

#endif
