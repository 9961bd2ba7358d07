/* server.c: the HTTP server's connections. Each one reads a request head
 * into its own 8 KiB buffer, then a Content-Length body into memory from
 * the heap, hands the request to the application, and either goes on with
 * the next request (keep-alive; pipelined bytes stay in the buffer) or is
 * closed. Limits and malformed requests are answered here with an
 * OpenAI-shaped error and the connection closed. */
#include "net/server.h"
#include "net/json.h"
#include "net/platform.h"
#include "net/tcp.h"
#include "arch/x86/io.h"
#include "arch/x86/timer.h"
#include "drivers/console.h"
#include "lib/memory.h"
#include "lib/printf.h"
#include "lib/string.h"

#define API_KEY_MAX 256
#define ERROR_JSON_MAX 1024

enum phase { P_FREE = 0, P_HEAD, P_BODY, P_QUEUED, P_RUNNING };

struct server_conn {
    enum phase phase;
    tcp_conn *tcp;
    int broken;               /* aborted while sending: tcp is gone */
    char head[HTTP_HEADER_MAX];
    size_t head_len;          /* bytes in head (a request may start with pipelined ones) */
    size_t head_end;          /* length of the header block, once complete */
    size_t carried;           /* bytes after head_end used as body */
    struct http_request req;
    char *body;
    size_t body_len;
    uint64_t since;           /* start of the wait the timeouts measure */
    uint64_t started;         /* when the request was complete */
    int served;               /* at least one request on this connection */
    int status;               /* of the response sent */
    int close_after;
    uint32_t tokens;
    int chunked;              /* a streamed response is open */
    void *job;
};

static struct server_conn conns[TCP_MAX_CONNS];
static struct server_conn *queue[SERVER_QUEUE_MAX];
static int queue_len;
static const struct server_app *app;
static int stopping, polling;
static char api_key[API_KEY_MAX];
static size_t api_key_len;

/* ---- sending -------------------------------------------------------------- */

static int send_all(struct server_conn *c, const char *data, size_t len)
{
    uint64_t last = uptime_ms();
    while (len && !c->broken) {
        size_t n = tcp_write(c->tcp, data, len);
        if (n) {
            data += n;
            len -= n;
            last = uptime_ms();
            continue;
        }
        if (tcp_status(c->tcp) == TCP_DEAD || uptime_ms() - last > SERVER_SEND_TIMEOUT_MS) {
            tcp_abort(c->tcp);
            c->broken = 1;
            break;
        }
        cpu_sti_hlt();
    }
    return c->broken ? -1 : 0;
}

static int send_head(struct server_conn *c, int status, const char *content_type, const char *extra,
                     const char *length_or_chunked)
{
    char head[512];
    c->status = status;
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nServer: MyOS\r\nContent-Type: %s\r\n%s%s%s\r\n", status,
                     http_reason(status), content_type, length_or_chunked,
                     c->close_after ? "Connection: close\r\n" : "", extra ? extra : "");
    return send_all(c, head, (size_t)n < sizeof head ? (size_t)n : sizeof head - 1);
}

void server_respond(struct server_conn *c, int status, const char *content_type, const char *extra_headers,
                    const char *body, size_t len)
{
    char length[48];
    snprintf(length, sizeof length, "Content-Length: %lu\r\n", (unsigned long)len);
    if (send_head(c, status, content_type, extra_headers, length) == 0 && !http_method_is(&c->req, "HEAD"))
        send_all(c, body, len);
}

void server_error(struct server_conn *c, int status, const char *type, const char *param, const char *message)
{
    char buf[ERROR_JSON_MAX];
    struct json_out o;
    json_out_init(&o, buf, sizeof buf);
    json_raw(&o, "{\"error\":{\"message\":");
    json_string(&o, message, strlen(message));
    json_raw(&o, ",\"type\":");
    json_string(&o, type, strlen(type));
    json_raw(&o, ",\"param\":");
    if (param)
        json_string(&o, param, strlen(param));
    else
        json_raw(&o, "null");
    json_raw(&o, ",\"code\":null}}");
    if (o.overflow) {
        json_out_init(&o, buf, sizeof buf);
        json_raw(&o, "{\"error\":{\"message\":\"error\",\"type\":\"server_error\",\"param\":null,\"code\":null}}");
    }
    server_respond(c, status, "application/json", status == 503 ? "Retry-After: 1\r\n" : NULL, o.buf, o.len);
}

int server_stream_begin(struct server_conn *c, int status, const char *content_type)
{
    c->chunked = 1;
    return send_head(c, status, content_type, "Cache-Control: no-cache\r\n", "Transfer-Encoding: chunked\r\n");
}

int server_stream_chunk(struct server_conn *c, const char *data, size_t len)
{
    char size[16];
    if (len == 0)
        return c->broken ? -1 : 0; /* an empty chunk would end the body */
    int n = snprintf(size, sizeof size, "%lx\r\n", (unsigned long)len);
    if (send_all(c, size, (size_t)n) || send_all(c, data, len) || send_all(c, "\r\n", 2))
        return -1;
    return 0;
}

int server_stream_end(struct server_conn *c)
{
    c->chunked = 0;
    return send_all(c, "0\r\n\r\n", 5);
}

int server_client_gone(struct server_conn *c)
{
    return c->broken || tcp_status(c->tcp) != TCP_OPEN;
}

void server_note_tokens(struct server_conn *c, uint32_t tokens)
{
    c->tokens = tokens;
}

/* ---- the API key ------------------------------------------------------------ */

void server_set_api_key(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n >= API_KEY_MAX)
        n = API_KEY_MAX - 1;
    memcpy(api_key, key ? key : "", n);
    api_key[n] = 0;
    api_key_len = n;
}

int server_authorized(const struct http_request *req)
{
    if (api_key_len == 0)
        return 1;
    static const char scheme[] = "Bearer ";
    const size_t sl = sizeof scheme - 1;
    if (!req->authorization || req->authorization_len < sl || memcmp(req->authorization, scheme, sl) != 0)
        return 0;
    const char *given = req->authorization + sl;
    size_t given_len = req->authorization_len - sl;
    /* Time depends on the length of our key only, never on where they differ. */
    unsigned diff = given_len != api_key_len;
    for (size_t i = 0; i < api_key_len; i++)
        diff |= (unsigned char)api_key[i] ^ (unsigned char)(i < given_len ? given[i] : 0);
    return diff == 0;
}

/* ---- connection life ---------------------------------------------------------- */

static void free_conn(struct server_conn *c, int abort)
{
    if (!c->broken) {
        if (abort)
            tcp_abort(c->tcp);
        else
            tcp_close(c->tcp);
    }
    kfree(c->body);
    c->body = NULL;
    c->phase = P_FREE;
    c->tcp = NULL;
}

/* The first `n` printable, space-free bytes of s; for the console line of a
 * request refused before it could be parsed. */
static size_t word(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] > ' ' && s[i] < 0x7f)
        i++;
    return i;
}

static void log_request(struct server_conn *c)
{
    uint64_t ms = uptime_ms() - c->started;
    char tokens[16] = "-";
    if (c->tokens)
        snprintf(tokens, sizeof tokens, "%lu", (unsigned long)c->tokens);
    const char *method = c->req.method, *path = c->req.path;
    size_t mlen = c->req.method_len, plen = c->req.path_len;
    if (!method) {
        method = c->head;
        mlen = word(c->head, c->head_len);
        path = method + mlen + (mlen < c->head_len);
        plen = word(path, c->head_len - (size_t)(path - c->head));
    }
    kprintf("%.*s %.*s %d %s tokens %lu.%03lu s\n", (int)(mlen ? (mlen > 16 ? 16 : mlen) : 1), mlen ? method : "-",
            (int)(plen ? (plen > 80 ? 80 : plen) : 1), plen ? path : "-", c->status, tokens,
            (unsigned long)(ms / 1000), (unsigned long)(ms % 1000));
}

/* The response is out: log it, then the next request or the end. */
static void finish(struct server_conn *c)
{
    log_request(c);
    if (c->close_after || c->broken) {
        free_conn(c, 0);
        return;
    }
    size_t used = c->head_end + c->carried;
    memmove(c->head, c->head + used, c->head_len - used);
    c->head_len -= used;
    c->head_end = c->carried = 0;
    kfree(c->body);
    c->body = NULL;
    c->body_len = 0;
    c->tokens = 0;
    c->served = 1;
    c->job = NULL;
    memset(&c->req, 0, sizeof c->req);
    c->phase = P_HEAD;
    c->since = uptime_ms();
}

/* A request the server refuses by itself: answer, then close. */
static void refuse(struct server_conn *c, int status, const char *message)
{
    c->close_after = 1;
    c->started = uptime_ms();
    server_error(c, status, status == 408 ? "timeout_error" : "invalid_request_error", NULL, message);
    finish(c);
}

static void dispatch(struct server_conn *c)
{
    c->started = uptime_ms();
    c->close_after = !c->req.keep_alive;
    app->request(c, &c->req, c->body ? c->body : "", c->body_len);
    if (c->phase != P_QUEUED)
        finish(c);
}

static void read_body(struct server_conn *c)
{
    size_t want = (size_t)c->req.content_length - c->body_len;
    size_t n = tcp_read(c->tcp, c->body + c->body_len, want);
    if (n) {
        c->body_len += n;
        c->since = uptime_ms();
    }
    if (c->body_len == c->req.content_length) {
        c->body[c->body_len] = 0;
        dispatch(c);
    } else if (tcp_status(c->tcp) != TCP_OPEN) {
        free_conn(c, 0);
    } else if (uptime_ms() - c->since > SERVER_BODY_TIMEOUT_MS) {
        refuse(c, 408, "the request body stopped arriving");
    }
}

static void start_body(struct server_conn *c)
{
    size_t len = (size_t)c->req.content_length;
    c->body = kmalloc(len + 1);
    if (!c->body) {
        refuse(c, 503, "out of memory for the request body");
        return;
    }
    size_t extra = c->head_len - c->head_end;
    c->carried = extra < len ? extra : len;
    memcpy(c->body, c->head + c->head_end, c->carried);
    c->body_len = c->carried;
    if (c->req.expect_continue && c->body_len < len && send_all(c, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0) {
        free_conn(c, 1);
        return;
    }
    c->phase = P_BODY;
    c->since = uptime_ms();
    read_body(c);
}

static void read_head(struct server_conn *c)
{
    size_t n = 0;
    if (c->head_len < HTTP_HEADER_MAX)
        n = tcp_read(c->tcp, c->head + c->head_len, HTTP_HEADER_MAX - c->head_len);
    c->head_len += n;
    if (n && !c->served && c->head_len == n)
        c->since = uptime_ms(); /* the head timeout runs from the first byte */
    size_t end = http_head_length(c->head, c->head_len);
    if (end) {
        c->head_end = end;
        int status = http_parse(c->head, end, &c->req);
        if (status == 413)
            refuse(c, 413, "the request body is larger than 1 MiB");
        else if (status)
            refuse(c, status, status == 400 ? "malformed HTTP request" : http_reason(status));
        else if (c->req.content_length)
            start_body(c);
        else
            dispatch(c);
        return;
    }
    if (c->head_len == HTTP_HEADER_MAX) {
        refuse(c, 431, "the request head is larger than 8 KiB");
    } else if (tcp_status(c->tcp) != TCP_OPEN) {
        free_conn(c, 0);
    } else {
        uint64_t waited = uptime_ms() - c->since;
        if (c->head_len && waited > SERVER_HEAD_TIMEOUT_MS)
            refuse(c, 408, "the request head did not arrive in time");
        else if (!c->head_len && waited > (c->served ? SERVER_IDLE_TIMEOUT_MS : SERVER_HEAD_TIMEOUT_MS))
            free_conn(c, 0);
    }
}

static void unqueue(struct server_conn *c)
{
    for (int i = 0; i < queue_len; i++)
        if (queue[i] == c) {
            memmove(&queue[i], &queue[i + 1], sizeof queue[0] * (size_t)(queue_len - i - 1));
            queue_len--;
            return;
        }
}

int server_queue(struct server_conn *c, void *job)
{
    if (queue_len >= SERVER_QUEUE_MAX) {
        server_error(c, 503, "server_error", NULL, "too many requests waiting: try again");
        return -1;
    }
    c->job = job;
    c->phase = P_QUEUED;
    queue[queue_len++] = c;
    return 0;
}

int server_poll(void)
{
    if (console_poll_cancel())
        stopping = 1;
    if (polling)
        return stopping;
    polling = 1;
    tcp_conn *t;
    while ((t = tcp_accept()) != NULL) {
        struct server_conn *c = NULL;
        for (int i = 0; i < TCP_MAX_CONNS && !c; i++)
            if (conns[i].phase == P_FREE)
                c = &conns[i];
        if (!c) {
            tcp_abort(t);
            continue;
        }
        memset(c, 0, offsetof(struct server_conn, head));
        c->head_len = c->head_end = c->carried = 0;
        memset(&c->req, 0, sizeof c->req);
        c->body = NULL;
        c->body_len = 0;
        c->served = c->tokens = c->chunked = 0;
        c->job = NULL;
        c->tcp = t;
        c->phase = P_HEAD;
        c->since = uptime_ms();
    }
    for (int i = 0; i < TCP_MAX_CONNS; i++) {
        struct server_conn *c = &conns[i];
        if (c->phase == P_HEAD)
            read_head(c);
        else if (c->phase == P_BODY)
            read_body(c);
        else if (c->phase == P_QUEUED && server_client_gone(c)) {
            unqueue(c);
            app->drop(c->job);
            free_conn(c, 0);
        }
    }
    polling = 0;
    return stopping;
}

void server_stop(void)
{
    stopping = 1;
}

int server_run(uint16_t port, const struct server_app *a)
{
    if (tcp_listen(port) != 0) {
        kprintf("error: cannot listen on port %u\n", (unsigned)port);
        return -1;
    }
    app = a;
    stopping = 0;
    queue_len = 0;
    while (!server_poll()) {
        if (queue_len) {
            struct server_conn *c = queue[0];
            unqueue(c);
            c->phase = P_RUNNING;
            app->run(c, c->job);
            c->job = NULL;
            finish(c);
        } else {
            cpu_sti_hlt();
        }
    }
    for (int i = 0; i < queue_len; i++)
        app->drop(queue[i]->job);
    queue_len = 0;
    for (int i = 0; i < TCP_MAX_CONNS; i++)
        if (conns[i].phase != P_FREE)
            free_conn(&conns[i], 1);
    tcp_unlisten();
    return 0;
}
