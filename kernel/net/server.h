/* server.h: the HTTP/1.1 server under `serve`: connections on one TCP
 * port, requests read and checked against the limits of net/http.h,
 * keep-alive, timeouts for clients that stall, the bounded queue of long
 * requests (one runs at a time) and one console line per request.
 *
 * The application (the OpenAI API, net/api.c) gives two functions: `request`
 * answers a complete request at once or puts it on the queue (server_queue);
 * `run` serves a queued one. While `run` works (a generation), it calls
 * server_poll often, so other connections keep being read, answered and
 * queued. */
#ifndef NET_SERVER_H
#define NET_SERVER_H
#include <stddef.h>
#include <stdint.h>
#include "net/http.h"

#define SERVER_QUEUE_MAX 8           /* queued requests; beyond: 503 */
#define SERVER_HEAD_TIMEOUT_MS 10000 /* a request's head must arrive within this */
#define SERVER_BODY_TIMEOUT_MS 10000 /* longest pause inside a body */
#define SERVER_IDLE_TIMEOUT_MS 15000 /* a kept-alive connection without a request */
#define SERVER_SEND_TIMEOUT_MS 10000 /* a client that reads nothing this long is dropped */

struct server_conn;

struct server_app {
    /* A complete request (body read). Answers it (server_respond...) or
     * queues it (server_queue). */
    void (*request)(struct server_conn *c, const struct http_request *req, const char *body, size_t body_len);
    /* Serves a queued request. */
    void (*run)(struct server_conn *c, void *job);
    /* Frees a queued job whose connection went away before its turn. */
    void (*drop)(void *job);
};

/* Serves on `port` until Ctrl+C (or server_stop); 0, or -1 with an error
 * line printed. */
int server_run(uint16_t port, const struct server_app *app);
/* Ends server_run after the current request. */
void server_stop(void);

/* Reads and answers the other connections (from `run`, e.g. per token).
 * Returns 1 once serving is to stop (Ctrl+C on the console). */
int server_poll(void);

/* Puts the request on the queue with the application's job; 0, or -1 when
 * the queue is full (a 503 has been sent and the job must be freed). */
int server_queue(struct server_conn *c, void *job);

/* Sends a whole response with a body (Content-Length). extra_headers: full
 * lines, each ending in \r\n, or NULL. */
void server_respond(struct server_conn *c, int status, const char *content_type, const char *extra_headers,
                    const char *body, size_t len);
/* An OpenAI-shaped error: {"error":{"message","type","param","code"}}. */
void server_error(struct server_conn *c, int status, const char *type, const char *param, const char *message);

/* Streaming: the head (Transfer-Encoding: chunked), then chunks, then the
 * end. Each returns 0, or -1 when the client is gone. */
int server_stream_begin(struct server_conn *c, int status, const char *content_type);
int server_stream_chunk(struct server_conn *c, const char *data, size_t len);
int server_stream_end(struct server_conn *c);

/* 1 when the client has closed or reset the connection. */
int server_client_gone(struct server_conn *c);
/* The generated token count shown in the request's console line. */
void server_note_tokens(struct server_conn *c, uint32_t tokens);

/* The API key (NULL or "" for none); requests to /v1/ must then carry
 * `Authorization: Bearer KEY`. */
void server_set_api_key(const char *key);
/* 1 when the request may proceed; compares in constant time. */
int server_authorized(const struct http_request *req);

#endif
