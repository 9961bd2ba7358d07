/* api.c: the OpenAI-compatible API on the HTTP server: GET /health,
 * GET /v1/models, POST /v1/chat/completions and POST /v1/completions, with
 * and without streaming (Server-Sent Events). Generations run one at a time
 * from the server's queue on the current model's session, with the
 * request's sampling settings for that request only. Stop strings are
 * matched on the generated text; a streamed answer holds back the text that
 * could be the start of one, so a stop string is never sent. */
#include "net/api.h"
#include "net/api_request.h"
#include "net/json.h"
#include "net/server.h"
#include "ai/model.h"
#include "ai/settings.h"
#include "drivers/rtc.h"
#include "fs/fs.h"
#include "lib/memory.h"
#include "lib/printf.h"
#include "lib/string.h"

#define MODELS_JSON_MAX 16384
#define CHUNK_JSON_MAX 2048
#define PIECE_SEND_MAX 256 /* text per streamed event (escaping may grow it 6x) */

static uint32_t next_id = 1;

/* Seconds since 1970 from the RTC (UTC), for the "created" fields. */
static int64_t unix_time(void)
{
    struct rtc_time t;
    rtc_read(&t);
    int64_t y = t.year, m = t.month;
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + t.day - 1;
    int64_t days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    return days * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
}

/* ---- GET /v1/models ----------------------------------------------------------- */

static void add_model(struct json_out *o, const char *name, int *count)
{
    json_raw(o, *count ? ",{\"id\":" : "{\"id\":");
    json_string(o, name, strlen(name));
    json_raw(o, ",\"object\":\"model\",\"created\":0,\"owned_by\":\"myos\"}");
    (*count)++;
}

static void list_models(struct server_conn *c)
{
    char *buf = kmalloc(MODELS_JSON_MAX);
    struct fs_dir *d;
    struct fs_dirent *e = kmalloc(sizeof *e);
    if (!buf || !e) {
        kfree(buf);
        kfree(e);
        server_error(c, 500, "server_error", NULL, "out of memory");
        return;
    }
    struct json_out o;
    json_out_init(&o, buf, MODELS_JSON_MAX);
    json_raw(&o, "{\"object\":\"list\",\"data\":[");
    int count = 0;
    const char *loaded = ai_model_name();
    if (loaded)
        add_model(&o, loaded, &count);
    if (fs_opendir(AI_MODELS_DIR, &d) == 0) {
        while (fs_readdir(d, e) == 1)
            if (!e->is_dir && ai_model_is_candidate(e->name) && !(loaded && ai_model_same_name(loaded, e->name)))
                add_model(&o, e->name, &count);
        fs_closedir(d);
    }
    json_raw(&o, "]}");
    if (o.overflow)
        server_error(c, 500, "server_error", NULL, "too many models to list");
    else
        server_respond(c, 200, "application/json", NULL, o.buf, o.len);
    kfree(e);
    kfree(buf);
}

/* ---- generation ------------------------------------------------------------------ */

struct gen {
    struct server_conn *c;
    struct api_job *job;
    char *text;                  /* everything generated so far (cut at a stop string) */
    size_t len, cap, sent;       /* sent: streamed already */
    size_t max_stop;
    int streaming, stopped, gone, failed;
    char id[32];
    int64_t created;
};

static void event_head(struct gen *g, struct json_out *o)
{
    json_raw(o, "data: {\"id\":\"");
    json_raw(o, g->id);
    json_raw(o, g->job->chat ? "\",\"object\":\"chat.completion.chunk\",\"created\":"
                             : "\",\"object\":\"text_completion\",\"created\":");
    json_int(o, g->created);
    json_raw(o, ",\"model\":");
    json_string(o, g->job->model, strlen(g->job->model));
}

static int send_event(struct gen *g, struct json_out *o)
{
    json_raw(o, "\n\n");
    if (o->overflow || server_stream_chunk(g->c, o->buf, o->len) != 0) {
        g->gone = 1;
        return -1;
    }
    return 0;
}

/* One streamed event: a piece of text, or (finish != NULL) the end. */
static int send_piece(struct gen *g, const char *text, size_t n, const char *finish, int first)
{
    char buf[CHUNK_JSON_MAX];
    struct json_out o;
    json_out_init(&o, buf, sizeof buf);
    event_head(g, &o);
    json_raw(&o, ",\"choices\":[{\"index\":0,");
    if (g->job->chat) {
        json_raw(&o, finish ? "\"delta\":{}" : first ? "\"delta\":{\"role\":\"assistant\",\"content\":" : "\"delta\":{\"content\":");
        if (!finish) {
            json_string(&o, text, n);
            json_raw(&o, "}");
        }
    } else {
        json_raw(&o, "\"text\":");
        json_string(&o, text, n);
        json_raw(&o, ",\"logprobs\":null");
    }
    json_raw(&o, ",\"finish_reason\":");
    if (finish)
        json_string(&o, finish, strlen(finish));
    else
        json_raw(&o, "null");
    json_raw(&o, "}]}");
    return send_event(g, &o);
}

/* Streams the text that can no longer turn into a stop string: up to
 * `upto`, cut back to a UTF-8 character boundary. */
static void flush_stream(struct gen *g, size_t upto)
{
    while (upto > g->sent && upto < g->len && ((unsigned char)g->text[upto] & 0xc0) == 0x80)
        upto--;
    while (g->sent < upto && !g->gone) {
        size_t n = upto - g->sent;
        if (n > PIECE_SEND_MAX) {
            n = PIECE_SEND_MAX;
            while (n > 1 && ((unsigned char)g->text[g->sent + n] & 0xc0) == 0x80)
                n--;
        }
        send_piece(g, g->text + g->sent, n, NULL, 0);
        g->sent += n;
    }
}

/* Length of the longest end of the text that begins some stop string. */
static size_t stop_prefix_tail(const struct gen *g)
{
    size_t best = 0;
    for (int i = 0; i < g->job->n_stop; i++)
        for (size_t k = g->job->stop_len[i] - 1; k > best; k--)
            if (k <= g->len && memcmp(g->text + g->len - k, g->job->stop[i], k) == 0) {
                best = k;
                break;
            }
    return best;
}

/* Appends a piece; cuts the text at a stop string that is now complete. */
static void append(struct gen *g, const char *piece, size_t n)
{
    if (g->len + n + 1 > g->cap) {
        size_t cap = (g->len + n + 1) * 2;
        char *t = krealloc(g->text, cap);
        if (!t) {
            g->failed = 1;
            return;
        }
        g->text = t;
        g->cap = cap;
    }
    size_t scan = g->len > g->max_stop ? g->len - g->max_stop : 0;
    memcpy(g->text + g->len, piece, n);
    g->len += n;
    for (int i = 0; i < g->job->n_stop; i++) {
        for (size_t at = scan; at + g->job->stop_len[i] <= g->len; at++)
            if (memcmp(g->text + at, g->job->stop[i], g->job->stop_len[i]) == 0) {
                g->len = at;
                g->stopped = 1;
                break;
            }
    }
}

static int on_piece(void *user, const char *text, size_t len)
{
    struct gen *g = user;
    if (server_poll() || server_client_gone(g->c)) {
        g->gone = 1;
        return 1;
    }
    if (len == 0)
        return 0; /* between batches of the prompt */
    if (g->job->stream && !g->streaming) {
        g->streaming = 1;
        if (server_stream_begin(g->c, 200, "text/event-stream") != 0 ||
            send_piece(g, "", 0, NULL, g->job->chat) != 0) {
            g->gone = 1;
            return 1;
        }
    }
    append(g, text, len);
    if (g->job->stream)
        flush_stream(g, g->stopped ? g->len : g->len - stop_prefix_tail(g));
    return g->stopped || g->gone || g->failed;
}

static void usage_json(struct json_out *o, const struct llm_result *r)
{
    json_raw(o, "\"usage\":{\"prompt_tokens\":");
    json_int(o, r->prompt_tokens);
    json_raw(o, ",\"completion_tokens\":");
    json_int(o, r->gen_tokens);
    json_raw(o, ",\"total_tokens\":");
    json_int(o, (int64_t)r->prompt_tokens + r->gen_tokens);
    json_raw(o, "}");
}

static void finish_stream(struct gen *g, const struct llm_result *r, const char *finish)
{
    flush_stream(g, g->len);
    send_piece(g, NULL, 0, finish, 0);
    if (g->job->include_usage && !g->gone) {
        char buf[CHUNK_JSON_MAX];
        struct json_out o;
        json_out_init(&o, buf, sizeof buf);
        event_head(g, &o);
        json_raw(&o, ",\"choices\":[],");
        usage_json(&o, r);
        json_raw(&o, "}");
        send_event(g, &o);
    }
    if (!g->gone && server_stream_chunk(g->c, "data: [DONE]\n\n", 14) == 0)
        server_stream_end(g->c);
}

static void respond_whole(struct gen *g, const struct llm_result *r, const char *finish)
{
    size_t cap = g->len * 6 + 1024 + strlen(g->job->model) * 6;
    char *buf = kmalloc(cap);
    if (!buf) {
        server_error(g->c, 500, "server_error", NULL, "out of memory for the response");
        return;
    }
    struct json_out o;
    json_out_init(&o, buf, cap);
    json_raw(&o, "{\"id\":\"");
    json_raw(&o, g->id);
    json_raw(&o, g->job->chat ? "\",\"object\":\"chat.completion\",\"created\":" : "\",\"object\":\"text_completion\",\"created\":");
    json_int(&o, g->created);
    json_raw(&o, ",\"model\":");
    json_string(&o, g->job->model, strlen(g->job->model));
    json_raw(&o, ",\"choices\":[{\"index\":0,");
    json_raw(&o, g->job->chat ? "\"message\":{\"role\":\"assistant\",\"content\":" : "\"text\":");
    json_string(&o, g->text ? g->text : "", g->len);
    json_raw(&o, g->job->chat ? "}," : ",\"logprobs\":null,");
    json_raw(&o, "\"finish_reason\":");
    json_string(&o, finish, strlen(finish));
    json_raw(&o, "}],");
    usage_json(&o, r);
    json_raw(&o, "}");
    server_respond(g->c, 200, "application/json", NULL, o.buf, o.len);
    kfree(buf);
}

/* The session for the job's model (switching models if it names another). */
static llm_session *session_for(struct api_job *job, char *err, size_t errlen)
{
    const char *cur = ai_model_name();
    if (!cur || !ai_model_same_name(cur, job->model)) {
        if (ai_model_load(job->model) != 0) {
            snprintf(err, errlen, "the model %s could not be loaded", job->model);
            return NULL;
        }
        ai_settings_set_model(job->model);
    }
    llm_session *s = ai_model_session();
    if (!s)
        snprintf(err, errlen, "the model %s has no session (see the console)", job->model);
    return s;
}

static void run_job(struct server_conn *c, void *opaque)
{
    struct api_job *job = opaque;
    char err[200];
    struct gen g = { 0 };
    g.c = c;
    g.job = job;
    snprintf(g.id, sizeof g.id, "%s-%lu", job->chat ? "chatcmpl" : "cmpl", (unsigned long)next_id++);
    g.created = unix_time();
    for (int i = 0; i < job->n_stop; i++)
        if (job->stop_len[i] > g.max_stop)
            g.max_stop = job->stop_len[i];
    llm_session *s = session_for(job, err, sizeof err);
    struct llm_model_info info;
    if (s)
        llm_model_get_info(ai_model_current(), &info);
    if (!s) {
        server_error(c, 500, "server_error", "model", err);
    } else if (job->chat && !info.has_chat_template) {
        server_error(c, 400, "invalid_request_error", "model",
                     "this model has no chat template: use /v1/completions");
    } else if (llm_session_set_sampling(s, &job->sampling, job->max_tokens, err, sizeof err) != 0) {
        server_error(c, 500, "server_error", NULL, err);
    } else {
        struct llm_result r;
        int rc = job->chat ? llm_generate_chat(s, job->msgs, job->n_msgs, on_piece, &g, &r, err, sizeof err)
                           : llm_generate_raw(s, job->prompt, job->prompt_len, on_piece, &g, &r, err, sizeof err);
        const struct ai_settings *st = ai_settings();
        char err2[200];
        llm_session_set_sampling(s, &st->llm.sampling, st->llm.max_tokens, err2, sizeof err2); /* the shell's again */
        const char *finish = g.stopped || r.stop == LLM_STOP_EOS || r.stop == LLM_STOP_CALLBACK ? "stop" : "length";
        if (rc == 0)
            server_note_tokens(c, r.gen_tokens);
        if (g.gone) {
            /* the client left: nothing more to send */
        } else if (rc != 0 || g.failed) {
            if (g.streaming) {
                finish_stream(&g, &r, "stop");
            } else {
                server_error(c, 400, "invalid_request_error", job->chat ? "messages" : "prompt",
                             g.failed ? "out of memory for the answer" : err);
            }
        } else if (g.streaming || job->stream) {
            if (!g.streaming && (server_stream_begin(c, 200, "text/event-stream") != 0 ||
                                 send_piece(&g, "", 0, NULL, job->chat) != 0))
                g.gone = 1;
            g.streaming = 1;
            if (!g.gone)
                finish_stream(&g, &r, finish);
        } else {
            respond_whole(&g, &r, finish);
        }
    }
    kfree(g.text);
    api_request_free(job);
    kfree(job);
}

static void drop_job(void *opaque)
{
    api_request_free(opaque);
    kfree(opaque);
}

/* ---- routing ------------------------------------------------------------------------ */

static void generation(struct server_conn *c, int chat, const char *body, size_t len)
{
    struct api_job *job = kmalloc(sizeof *job);
    char msg[320], param[64];
    if (!job) {
        server_error(c, 503, "server_error", NULL, "out of memory");
        return;
    }
    int status = api_request_parse(job, chat, body, len, msg, sizeof msg, param, sizeof param);
    if (status) {
        server_error(c, status, "invalid_request_error", param[0] ? param : NULL, msg);
        drop_job(job);
        return;
    }
    if (server_queue(c, job) != 0)
        drop_job(job);
}

static void on_request(struct server_conn *c, const struct http_request *req, const char *body, size_t len)
{
    int get = http_method_is(req, "GET") || http_method_is(req, "HEAD"), post = http_method_is(req, "POST");
    if (http_path_is(req, "/health")) {
        if (get)
            server_respond(c, 200, "application/json", NULL, "{\"status\":\"ok\"}", 15);
        else
            server_error(c, 405, "invalid_request_error", NULL, "use GET /health");
        return;
    }
    int models = http_path_is(req, "/v1/models"), chat = http_path_is(req, "/v1/chat/completions"),
        completions = http_path_is(req, "/v1/completions");
    if (!models && !chat && !completions) {
        server_error(c, 404, "invalid_request_error", NULL, "no such endpoint");
        return;
    }
    if (!server_authorized(req)) {
        server_error(c, 401, "invalid_request_error", NULL,
                     "missing or wrong API key (send Authorization: Bearer KEY)");
        return;
    }
    if (models && get)
        list_models(c);
    else if ((chat || completions) && post)
        generation(c, chat, body, len);
    else
        server_error(c, 405, "invalid_request_error", NULL, models ? "use GET" : "use POST");
}

int api_serve(uint16_t port)
{
    static const struct server_app app = { on_request, run_job, drop_job };
    return server_run(port, &app);
}
