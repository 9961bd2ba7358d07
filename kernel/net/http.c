/* http.c: the HTTP/1.1 request parser. Strict where leniency has caused
 * request smuggling (whitespace before a colon, obsolete line folding,
 * conflicting or malformed Content-Length, Content-Length together with
 * Transfer-Encoding), lenient where RFC 9112 allows it (bare LF line ends,
 * empty lines before the request line). */
#include "net/http.h"
#include "lib/string.h"

/* RFC 9110 tchar. */
static int is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int same_ci(const char *a, size_t n, const char *b)
{
    size_t i = 0;
    for (; i < n && b[i]; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return i == n && b[i] == 0;
}

size_t http_head_length(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
        i++; /* empty lines before the request line */
    for (; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* The next line from *p (without its CR LF); -1 at the end or on a bare CR. */
static int next_line(const char **p, const char *end, const char **line, size_t *n)
{
    const char *s = *p;
    const char *nl = s;
    while (nl < end && *nl != '\n')
        nl++;
    if (nl == end)
        return -1;
    size_t len = (size_t)(nl - s);
    if (len && s[len - 1] == '\r')
        len--;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\r')
            return -1;
    *line = s;
    *n = len;
    *p = nl + 1;
    return 0;
}

static int parse_request_line(const char *s, size_t n, struct http_request *r)
{
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)s[i]))
        i++;
    if (i == 0 || i >= n || s[i] != ' ')
        return 400;
    r->method = s;
    r->method_len = i++;
    size_t t = i;
    while (i < n && (unsigned char)s[i] > ' ' && (unsigned char)s[i] < 0x7f)
        i++;
    if (i == t || i >= n || s[i] != ' ' || s[t] != '/')
        return 400; /* origin form only: the server has no proxy */
    r->path = s + t;
    r->path_len = i - t;
    for (size_t q = 0; q < r->path_len; q++)
        if (r->path[q] == '?' || r->path[q] == '#') {
            r->path_len = q;
            break;
        }
    i++;
    if (n - i != 8 || memcmp(s + i, "HTTP/", 5) != 0 || s[i + 5] < '0' || s[i + 5] > '9' || s[i + 6] != '.' ||
        s[i + 7] < '0' || s[i + 7] > '9')
        return 400;
    if (s[i + 5] != '1')
        return 505;
    r->minor = s[i + 7] - '0';
    return 0;
}

/* Does the comma-separated list hold this token (case-insensitive)? */
static int list_has(const char *v, size_t n, const char *token)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
            i++;
        if (i > s && same_ci(v + s, i - s, token))
            return 1;
    }
    return 0;
}

struct seen {
    int content_length, transfer_encoding, host, close, keep_alive;
};

static int header(const char *name, size_t nlen, const char *v, size_t vlen, struct http_request *r,
                  struct seen *seen)
{
    if (same_ci(name, nlen, "content-length")) {
        if (vlen == 0)
            return 400;
        uint64_t cl = 0;
        for (size_t i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9')
                return 400;
            if (cl <= HTTP_BODY_MAX)
                cl = cl * 10 + (uint64_t)(v[i] - '0'); /* past the limit the exact value does not matter */
        }
        if (seen->content_length && cl != r->content_length)
            return 400;
        seen->content_length = 1;
        r->content_length = cl;
    } else if (same_ci(name, nlen, "transfer-encoding")) {
        seen->transfer_encoding = 1;
    } else if (same_ci(name, nlen, "host")) {
        if (seen->host)
            return 400;
        seen->host = 1;
    } else if (same_ci(name, nlen, "connection")) {
        seen->close |= list_has(v, vlen, "close");
        seen->keep_alive |= list_has(v, vlen, "keep-alive");
    } else if (same_ci(name, nlen, "expect")) {
        if (!same_ci(v, vlen, "100-continue"))
            return 417;
        r->expect_continue = 1;
    } else if (same_ci(name, nlen, "authorization")) {
        r->authorization = v;
        r->authorization_len = vlen;
    }
    return 0;
}

int http_parse(const char *buf, size_t len, struct http_request *r)
{
    memset(r, 0, sizeof *r);
    const char *p = buf, *end = buf + len, *line;
    size_t n;
    while (p < end && (*p == '\r' || *p == '\n'))
        p++;
    if (next_line(&p, end, &line, &n) != 0)
        return 400;
    int rc = parse_request_line(line, n, r);
    if (rc)
        return rc;
    struct seen seen = { 0 };
    for (;;) {
        if (next_line(&p, end, &line, &n) != 0)
            return 400;
        if (n == 0)
            break;
        if (line[0] == ' ' || line[0] == '\t')
            return 400; /* obsolete line folding */
        size_t c = 0;
        while (c < n && is_tchar((unsigned char)line[c]))
            c++;
        if (c == 0 || c >= n || line[c] != ':')
            return 400;
        const char *v = line + c + 1;
        size_t vlen = n - c - 1;
        for (size_t i = 0; i < vlen; i++)
            if (((unsigned char)v[i] < ' ' && v[i] != '\t') || v[i] == 0x7f)
                return 400;
        while (vlen && (*v == ' ' || *v == '\t'))
            v++, vlen--;
        while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
            vlen--;
        rc = header(line, c, v, vlen, r, &seen);
        if (rc)
            return rc;
    }
    if (seen.transfer_encoding)
        return seen.content_length ? 400 : 501;
    if (r->minor >= 1 && !seen.host)
        return 400;
    r->keep_alive = r->minor >= 1 ? !seen.close : seen.keep_alive && !seen.close;
    if (r->content_length > HTTP_BODY_MAX)
        return 413;
    return 0;
}

int http_method_is(const struct http_request *req, const char *name)
{
    return strlen(name) == req->method_len && memcmp(req->method, name, req->method_len) == 0;
}

int http_path_is(const struct http_request *req, const char *path)
{
    return strlen(path) == req->path_len && memcmp(req->path, path, req->path_len) == 0;
}

const char *http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}
