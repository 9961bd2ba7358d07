/* api_request.c: reading an OpenAI request body. Known fields are checked
 * for type and range and the first wrong one is named in the 400 answer;
 * fields this server does not know are ignored, as OpenAI's own server
 * ignores what a newer client may add. */
#include "net/api_request.h"
#include "ai/model.h"
#include "fs/fs.h"
#include "lib/memory.h"
#include "lib/printf.h"
#include "lib/string.h"

#define MAX_NODES 65536u
#define MAX_SAFE_INTEGER 9007199254740992.0 /* 2^53: larger JSON numbers are not exact */

struct check {
    const struct json_doc *doc;
    const struct json_value *root;
    char *msg, *param;
    size_t msglen, paramlen;
};

static int bad(struct check *k, const char *param, const char *fmt, const char *detail)
{
    snprintf(k->param, k->paramlen, "%s", param ? param : "");
    snprintf(k->msg, k->msglen, fmt, param ? param : "", detail ? detail : "");
    return 400;
}

/* The member, or NULL when absent or JSON null (both mean "default"). */
static const struct json_value *field(struct check *k, const char *name)
{
    const struct json_value *v = json_member(k->doc, k->root, name);
    return v && v->type != JSON_NULL ? v : NULL;
}

/* A number field within the range of the engine's setting of the same
 * meaning (llm/settings.h), and at least `at_least`. */
static int number(struct check *k, const char *name, const char *setting, int integer, double at_least,
                  double *out, int *given)
{
    const struct json_value *v = field(k, name);
    *given = v != NULL;
    if (!v)
        return 0;
    if (v->type != JSON_NUMBER)
        return bad(k, name, integer ? "'%s' must be an integer, not %s" : "'%s' must be a number, not %s",
                   json_type_name(v->type));
    double lo = 0, hi = MAX_SAFE_INTEGER;
    const struct llm_setting *row = setting ? llm_setting_find(llm_session_settings, setting) : NULL;
    if (row && row->type != LLM_SETTING_U64) { /* U64: 0 to 2^64 - 1, of which JSON has 0 to 2^53 exactly */
        lo = row->lo;
        hi = row->hi;
    }
    if (lo < at_least)
        lo = at_least;
    double x = v->number;
    if (integer && (x != (double)(int64_t)x || x < -MAX_SAFE_INTEGER || x > MAX_SAFE_INTEGER))
        return bad(k, name, "'%s' must be an integer%s", "");
    if (x < lo || x > hi) {
        char range[96];
        snprintf(range, sizeof range, " (%g..%g)", lo, hi);
        return bad(k, name, "'%s' is out of range%s", range);
    }
    *out = x;
    return 0;
}

static int boolean(struct check *k, const struct json_value *obj, const char *key, const char *param, int *out)
{
    const struct json_value *v = json_member(k->doc, obj, key);
    if (!v || v->type == JSON_NULL)
        return 0;
    if (v->type != JSON_TRUE && v->type != JSON_FALSE)
        return bad(k, param, "'%s' must be a boolean, not %s", json_type_name(v->type));
    *out = v->type == JSON_TRUE;
    return 0;
}

/* /MODELS has this file, or it is the loaded model. */
static int model_exists(const char *name)
{
    if (ai_model_name() && ai_model_same_name(ai_model_name(), name))
        return 1;
    char path[AI_MODEL_NAME_MAX + 16];
    struct fs_stat st;
    if (!ai_model_is_candidate(name) || strchr(name, '/') || strlen(name) >= AI_MODEL_NAME_MAX)
        return 0;
    snprintf(path, sizeof path, "%s/%s", AI_MODELS_DIR, name);
    return fs_stat(path, &st) == 0 && !st.is_dir;
}

static int check_model(struct check *k, struct api_job *job)
{
    const struct json_value *v = field(k, "model");
    if (!v)
        return bad(k, "model", "'%s' is required%s", "");
    if (v->type != JSON_STRING)
        return bad(k, "model", "'%s' must be a string, not %s", json_type_name(v->type));
    if (v->len == 0 || strlen(v->str) != v->len || !model_exists(v->str))
        return bad(k, "model", "'%s': no model named '%s' in /MODELS (GET /v1/models lists them)", v->str);
    snprintf(job->model, sizeof job->model, "%s", v->str);
    return 0;
}

/* A message's content: a string, or an array of {"type":"text","text":...}
 * parts, joined (into job->parts). */
static int content(struct check *k, struct api_job *job, const struct json_value *v, const char *param,
                   size_t *parts_used, struct llm_message *m)
{
    if (v && v->type == JSON_STRING) {
        m->text = v->str;
        m->len = v->len;
        return 0;
    }
    if (!v || v->type != JSON_ARRAY)
        return bad(k, param, "'%s' must be a string or an array of text parts%s", "");
    char *out = job->parts + *parts_used;
    size_t n = 0;
    for (const struct json_value *p = json_first(k->doc, v); p; p = json_next(k->doc, p)) {
        const struct json_value *type = json_member(k->doc, p, "type"), *text = json_member(k->doc, p, "text");
        if (!type || type->type != JSON_STRING || strcmp(type->str, "text") != 0 || !text ||
            text->type != JSON_STRING)
            return bad(k, param, "'%s': only parts of type \"text\" with a string \"text\" are supported%s", "");
        memcpy(out + n, text->str, text->len);
        n += text->len;
    }
    m->text = out;
    m->len = n;
    *parts_used += n;
    return 0;
}

static int check_messages(struct check *k, struct api_job *job)
{
    static const char *const roles[] = { "system", "user", "assistant", "developer" };
    static const enum llm_role role_of[] = { LLM_ROLE_SYSTEM, LLM_ROLE_USER, LLM_ROLE_ASSISTANT, LLM_ROLE_SYSTEM };
    const struct json_value *v = field(k, "messages");
    if (!v)
        return bad(k, "messages", "'%s' is required%s", "");
    if (v->type != JSON_ARRAY || v->len == 0)
        return bad(k, "messages", "'%s' must be a non-empty array of messages%s", "");
    job->msgs = kmalloc(sizeof(struct llm_message) * v->len);
    if (!job->msgs)
        return bad(k, "messages", "'%s': out of memory%s", "");
    size_t parts_used = 0;
    int i = 0;
    for (const struct json_value *m = json_first(k->doc, v); m; m = json_next(k->doc, m), i++) {
        char param[48];
        snprintf(param, sizeof param, "messages[%d]", i);
        if (m->type != JSON_OBJECT)
            return bad(k, param, "'%s' must be an object%s", "");
        const struct json_value *role = json_member(k->doc, m, "role");
        snprintf(param, sizeof param, "messages[%d].role", i);
        if (!role || role->type != JSON_STRING)
            return bad(k, param, "'%s' must be a string%s", "");
        int r = -1;
        for (int j = 0; j < 4; j++)
            if (!strcmp(role->str, roles[j]))
                r = j;
        if (r < 0)
            return bad(k, param, "'%s' must be system, developer, user or assistant, not '%s'", role->str);
        job->msgs[i].role = role_of[r];
        snprintf(param, sizeof param, "messages[%d].content", i);
        int rc = content(k, job, json_member(k->doc, m, "content"), param, &parts_used, &job->msgs[i]);
        if (rc)
            return rc;
    }
    job->n_msgs = i;
    return 0;
}

static int check_prompt(struct check *k, struct api_job *job)
{
    const struct json_value *v = field(k, "prompt");
    if (v && v->type == JSON_ARRAY && v->len == 1)
        v = json_first(k->doc, v);
    if (!v)
        return bad(k, "prompt", "'%s' is required%s", "");
    if (v->type != JSON_STRING)
        return bad(k, "prompt", "'%s' must be a string (or an array of one string)%s", "");
    job->prompt = v->str;
    job->prompt_len = v->len;
    return 0;
}

static int check_stop(struct check *k, struct api_job *job)
{
    const struct json_value *v = field(k, "stop");
    if (!v)
        return 0;
    if (v->type == JSON_STRING) {
        job->stop[0] = v->str;
        job->stop_len[0] = v->len;
        job->n_stop = v->len ? 1 : 0;
        return 0;
    }
    if (v->type != JSON_ARRAY || v->len > API_MAX_STOPS)
        return bad(k, "stop", "'%s' must be a string or an array of at most 4 strings%s", "");
    for (const struct json_value *s = json_first(k->doc, v); s; s = json_next(k->doc, s)) {
        if (s->type != JSON_STRING)
            return bad(k, "stop", "'%s' must hold strings, not %s", json_type_name(s->type));
        if (s->len) {
            job->stop[job->n_stop] = s->str;
            job->stop_len[job->n_stop++] = s->len;
        }
    }
    return 0;
}

static int check_sampling(struct check *k, struct api_job *job)
{
    const struct ai_settings *st = ai_settings();
    double x;
    int given, rc;
    job->sampling = st->llm.sampling;
    job->max_tokens = st->llm.max_tokens;
    if ((rc = number(k, "temperature", "temperature", 0, 0, &x, &given)))
        return rc;
    if (given)
        job->sampling.temperature = (float)x;
    if ((rc = number(k, "top_p", "top_p", 0, 0, &x, &given)))
        return rc;
    if (given)
        job->sampling.top_p = (float)x;
    const char *limit = field(k, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
    /* At least 1: the engine's -1 (until the context is full) has no
     * counterpart in the API. */
    if ((rc = number(k, limit, "max_tokens", 1, 1, &x, &given)))
        return rc;
    if (given)
        job->max_tokens = (int32_t)x;
    if ((rc = number(k, "seed", "seed", 1, 0, &x, &given)))
        return rc;
    if (given)
        job->sampling.seed = (uint64_t)x;
    if ((rc = number(k, "n", NULL, 1, 1, &x, &given)))
        return rc;
    if (given && x != 1)
        return bad(k, "n", "'%s' must be 1: one choice per request%s", "");
    return 0;
}

int api_request_parse(struct api_job *job, int chat, const char *body, size_t len, char *msg, size_t msglen,
                      char *param, size_t paramlen)
{
    memset(job, 0, sizeof *job);
    job->chat = chat;
    struct check k = { NULL, NULL, msg, param, msglen, paramlen };
    uint32_t max_nodes = len / 2 + 16 < MAX_NODES ? (uint32_t)(len / 2 + 16) : MAX_NODES;
    job->nodes = kmalloc(sizeof(struct json_value) * max_nodes);
    job->text = kmalloc(len + 16);
    job->parts = kmalloc(len + 16);
    if (!job->nodes || !job->text || !job->parts)
        return bad(&k, NULL, "out of memory for the request%s%s", "");
    static struct json_doc doc; /* requests are parsed one at a time */
    if (json_parse(&doc, body, len, job->nodes, max_nodes, job->text, len + 16) != 0)
        return bad(&k, NULL, "the body is not valid JSON%s: %s", doc.err);
    k.doc = &doc;
    k.root = &doc.v[0];
    if (k.root->type != JSON_OBJECT)
        return bad(&k, NULL, "the body must be a JSON object%s%s", "");
    int rc;
    if ((rc = check_model(&k, job)) || (rc = chat ? check_messages(&k, job) : check_prompt(&k, job)) ||
        (rc = check_sampling(&k, job)) || (rc = check_stop(&k, job)) ||
        (rc = boolean(&k, k.root, "stream", "stream", &job->stream)))
        return rc;
    const struct json_value *opts = field(&k, "stream_options");
    if (opts && opts->type != JSON_OBJECT)
        return bad(&k, "stream_options", "'%s' must be an object, not %s", json_type_name(opts->type));
    if (opts && (rc = boolean(&k, opts, "include_usage", "stream_options.include_usage", &job->include_usage)))
        return rc;
    return 0;
}

void api_request_free(struct api_job *job)
{
    kfree(job->nodes);
    kfree(job->text);
    kfree(job->parts);
    kfree(job->msgs);
    memset(job, 0, sizeof *job);
}
