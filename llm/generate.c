/* generate.c: sessions of llm.h — prompt evaluation, the sampling loop, stop
 * conditions, streaming text, timing, and multi-turn KV reuse with context
 * shift.
 *
 * The session keeps every token that is in the KV cache (hist), so the cache
 * can be rebuilt after a context shift: the conversation prefix (BOS and the
 * system prompt, n_keep tokens) stays, the oldest turns are dropped, and the
 * kept turns are evaluated again at their new positions. The last sampled
 * token is not evaluated right away (it is often the final one): it stays
 * `pending` and goes first into the next evaluation.
 */
#include "text/chat.h"
#include "buffers.h"
#include "formats/loaders.h"
#include "matmul/select.h"
#include "params.h"
#include "llm.h"
#include "model.h"
#include "repack_model.h"
#include "platform.h"
#include "sampler.h"
#include "text/tokenizer.h"


struct llm_session {
    struct llm_model *m;
    struct llm_settings set;
    struct model_state st;
    sampler *smp;
    chat_template chat;
    int32_t *hist;               /* the tokens in the KV cache, position order */
    uint32_t n_hist;
    uint32_t n_keep;             /* prefix kept by a context shift */
    uint32_t turn[LLM_MAX_TURNS];    /* hist index where each turn starts */
    uint32_t n_turns;
    int32_t eog[LLM_MAX_EOG];        /* ids that end generation in any mode */
    uint32_t n_eog;
    int32_t pending;             /* sampled, not yet evaluated; -1 none */
    int last_eot;                /* the last reply ended with an end-of-turn id */
    int32_t *prompt_ids, *gen_ids;
    uint32_t n_prompt, n_gen;
    const float *logits;
    char *text;                  /* streaming decode buffer */
    uint32_t text_cap;
};

/* End-of-generation ids, as llama.cpp gathers them: EOS and the vocabulary's
 * end-of-text / end-of-turn control tokens (a base model may end a text with
 * <|endoftext|> although its EOS is <|im_end|>). */
static void find_eog(llm_session *s)
{
    static const char *const names[] = { "<|endoftext|>", "<|im_end|>", "<|eot_id|>", "<|end|>",
                                         "<end_of_turn>", "<|end_of_text|>" };
    const tokenizer *tok = s->m->tok;
    if (!tok)
        return;
    if (tok_eos(tok) >= 0)
        s->eog[s->n_eog++] = tok_eos(tok);
    for (size_t i = 0; i < sizeof names / sizeof names[0] && s->n_eog < LLM_MAX_EOG; i++) {
        int32_t id = tok_lookup(tok, names[i]);
        if (id >= 0 && id != tok_eos(tok) && tok_type(tok, id) == TOK_TYPE_CONTROL)
            s->eog[s->n_eog++] = id;
    }
}

#define SESSION_BUFFERS 4
/* The token history (one per KV cache position), this call's prompt and
 * generated ids, and the decoding buffer (text_cap bytes). */
static uint32_t session_plan(struct llm_session *s, uint32_t ctx, uint32_t maxgen, struct llm_buf *plan)
{
    const struct llm_buf b[SESSION_BUFFERS] = {
        { (void **)&s->hist, (uint64_t)sizeof(int32_t) * ctx, 8 },
        { (void **)&s->prompt_ids, (uint64_t)sizeof(int32_t) * (ctx + 1), 8 },
        { (void **)&s->gen_ids, (uint64_t)sizeof(int32_t) * maxgen, 8 },
        { (void **)&s->text, s->text_cap, 8 },
    };
    memcpy(plan, b, sizeof b);
    return SESSION_BUFFERS;
}

/* The decoding buffer holds a token's text and a few held bytes. */
static uint32_t text_capacity(uint32_t max_piece_bytes)
{
    return max_piece_bytes + 8;
}

void llm_memory_needed(const struct llm_probe *p, uint32_t ctx, uint32_t max_tokens, uint64_t tok_file_size,
                       struct llm_memory *out)
{
    const struct llm_model_info *i = &p->info;
    struct model_config c;
    model_config_from_info(i, &c);
    uint32_t max_piece = p->max_piece_bytes;
    memset(out, 0, sizeof *out);
    out->file = p->kept_bytes + tok_file_size;
    out->file_weights = p->repacked_file_bytes;
    out->tables = p->table_bytes;
    out->work = p->load_bytes;
    if (tok_file_size) { /* llama2.c: the tokenizer's text is at most its file */
        out->tables += tok_bytes(0, i->n_vocab, tok_file_size, 0, 0);
        out->work += llama2c_tokenizer_scratch_bytes(i->n_vocab);
        max_piece = tok_file_size > 0xffffffffu ? 0xffffffffu : (uint32_t)tok_file_size;
    }
    out->packed = p->packed_bytes + rq_model_scratch_bytes(&c);
    out->kv_cache = llm_kv_cache_bytes(c.n_layers, ctx, c.n_kv_heads, c.head_dim);
    struct llm_session s;
    struct llm_buf plan[SESSION_BUFFERS];
    s.text_cap = text_capacity(max_piece);
    out->work += sizeof s + model_state_bytes(&c, ctx) - out->kv_cache + sampler_bytes((int)c.n_vocab) +
                 buffers_bytes(plan, session_plan(&s, ctx, max_tokens + 1, plan));
    out->select = select_measure_bytes();
    /* The measurement comes first and its buffers go before anything of
     * the model is read. */
    uint64_t model = out->file + out->tables + out->packed + out->kv_cache + out->work;
    out->total = model > out->select ? model : out->select;
}

/* max_tokens and repeat_last_n -1 stand for the context length. */
static void resolve_whole_context(struct llm_settings *set)
{
    if (set->max_tokens < 0)
        set->max_tokens = set->ctx;
    if (set->sampling.repeat_last_n < 0)
        set->sampling.repeat_last_n = set->ctx;
}

llm_session *llm_session_create(llm_model *m, const struct llm_settings *set, char *err, size_t errlen)
{
    /* The ranges also keep the buffers below 2^31 bytes on 32-bit machines. */
    if (llm_settings_check(set, err, errlen) != 0)
        return NULL;
    if (set->chat && !m->tok) {
        snprintf(err, errlen, "chat needs a model with a tokenizer");
        return NULL;
    }
    struct llm_session *s = llm_alloc(sizeof *s, 8);
    if (!s) {
        snprintf(err, errlen, "out of memory for the session");
        return NULL;
    }
    memset(s, 0, sizeof *s);
    s->m = m;
    s->set = *set;
    resolve_whole_context(&s->set);
    uint32_t ctx = (uint32_t)set->ctx, maxgen = (uint32_t)s->set.max_tokens + 1;
    if (model_state_init(&s->st, m, ctx, err, errlen) != 0) {
        llm_free(s);
        return NULL;
    }
    const struct llm_sampling *sp = &s->set.sampling;
    sampler_params p = { sp->temperature, sp->top_k, sp->top_p, sp->min_p, sp->repeat_penalty, sp->repeat_last_n,
                         sp->seed };
    s->smp = sampler_create(&p, (int)m->cfg.n_vocab);
    s->text_cap = text_capacity(m->tok ? tok_max_piece_bytes(m->tok) : 0);
    struct llm_buf plan[SESSION_BUFFERS];
    if (!s->smp || buffers_alloc(plan, session_plan(s, ctx, maxgen, plan)) != 0) {
        llm_session_free(s);
        snprintf(err, errlen, "out of memory for the session");
        return NULL;
    }
    if (set->chat && chat_init(&s->chat, m->tok, m->chat_template, m->chat_template_len, m->add_bos, err, errlen)) {
        llm_session_free(s);
        return NULL;
    }
    find_eog(s);
    llm_session_reset(s);
    return s;
}

void llm_session_free(llm_session *s)
{
    if (!s)
        return;
    model_state_free(&s->st);
    if (s->smp)
        sampler_free(s->smp);
    struct llm_buf plan[SESSION_BUFFERS];
    buffers_free(plan, session_plan(s, 0, 0, plan));
    llm_free(s);
}

void llm_session_reset(llm_session *s)
{
    s->n_hist = s->n_keep = s->n_turns = 0;
    s->pending = -1;
    s->last_eot = 0;
    s->logits = NULL;
    sampler_reset(s->smp);
}

uint32_t llm_session_pos(const llm_session *s)
{
    return s->n_hist;
}

uint32_t llm_session_ctx(const llm_session *s)
{
    return s->st.ctx;
}

/* ---- evaluation and context shift -------------------------------------- */

/* Asks the caller's emit callback, with no text, whether to stop (Ctrl+C
 * during a long prompt); NULL never stops. */
struct stop_poll {
    llm_emit_fn emit;
    void *user;
};

static int should_stop(const struct stop_poll *p)
{
    return p && p->emit && p->emit(p->user, "", 0);
}

/* Runs ids[0..n-1] at positions pos, pos + 1, ... in batches (each weight
 * matrix is read once per batch); the last token's logits become current.
 * Only the last token's logits are computed (the others just fill the
 * cache). Between batches `poll` may stop it: then 1, else 0. */
static int forward_tokens(llm_session *s, const int32_t *ids, uint32_t n, uint32_t pos,
                          const struct stop_poll *poll)
{
    for (uint32_t i = 0; i < n; i += LLM_BATCH) {
        if (i > 0 && should_stop(poll))
            return 1;
        uint32_t k = n - i < LLM_BATCH ? n - i : LLM_BATCH;
        float *logits = model_forward_batch(s->m, &s->st, ids + i, k, pos + i, i + k == n);
        if (logits)
            s->logits = logits;
    }
    return 0;
}

/* Checks every id and the room first, so a bad call changes nothing. 0, 1
 * when `poll` stopped it (the positions stay as they were: what was
 * computed past them is overwritten later), or -1 with err set. */
static int eval_tokens(llm_session *s, const int32_t *ids, uint32_t n, const struct stop_poll *poll, char *err,
                       size_t errlen)
{
    for (uint32_t i = 0; i < n; i++) {
        if (ids[i] < 0 || (uint32_t)ids[i] >= s->m->tok_embd.rows) {
            snprintf(err, errlen, "token id %ld out of range (vocabulary %lu)", (long)ids[i],
                     (unsigned long)s->m->tok_embd.rows);
            return -1;
        }
    }
    if (n > s->st.ctx - s->n_hist) {
        snprintf(err, errlen, "context full (%lu tokens)", (unsigned long)s->st.ctx);
        return -1;
    }
    if (forward_tokens(s, ids, n, s->n_hist, poll)) {
        s->logits = NULL; /* they belong to positions now forgotten */
        return 1;
    }
    memcpy(s->hist + s->n_hist, ids, sizeof(int32_t) * n);
    s->n_hist += n;
    return 0;
}

const float *llm_eval(llm_session *s, const int32_t *ids, uint32_t n, char *err, size_t errlen)
{
    if (n == 0 && !s->logits) {
        snprintf(err, errlen, "nothing evaluated yet");
        return NULL;
    }
    return eval_tokens(s, ids, n, NULL, err, errlen) == 0 ? s->logits : NULL;
}

/* Makes room for `need` more tokens by dropping the oldest turns after the
 * kept prefix and evaluating the kept turns again at their new positions.
 * A shift leaves a quarter of the context free when it can, so shifts stay
 * rare. -1 when even dropping every older turn is not enough. */
static int make_room(llm_session *s, uint32_t need)
{
    uint32_t ctx = s->st.ctx, k;
    if (s->n_hist + need <= ctx)
        return 0;
    uint32_t goals[2] = { ctx - ctx / 4, ctx };
    for (int g = 0; g < 2; g++) {
        for (k = 0; k < s->n_turns; k++)
            if (s->turn[k] > s->n_keep && s->n_keep + (s->n_hist - s->turn[k]) + need <= goals[g])
                goto found;
    }
    return -1;
found:;
    uint32_t from = s->turn[k], n = s->n_hist - from;
    memmove(s->hist + s->n_keep, s->hist + from, sizeof(int32_t) * n);
    for (uint32_t i = k; i < s->n_turns; i++)
        s->turn[i - k] = s->turn[i] - from + s->n_keep;
    s->n_turns -= k;
    forward_tokens(s, s->hist + s->n_keep, n, s->n_keep, NULL);
    s->n_hist = s->n_keep + n;
    return 0;
}

/* ---- generation -------------------------------------------------------- */

/* One call's streaming state: where the text goes and whether to stop. */
struct run {
    llm_session *s;
    llm_emit_fn emit;
    void *user;
    tok_stream stream;
    int stopped;         /* the callback asked to stop */
};

static void emit_token(struct run *r, int32_t id)
{
    if (!r->s->m->tok || r->stopped)
        return;
    int32_t n = tok_stream_push(&r->stream, id, r->s->text, r->s->text_cap);
    if (n > 0 && r->emit && r->emit(r->user, r->s->text, (size_t)n))
        r->stopped = 1;
}

/* Emits what the decoder still holds (an incomplete UTF-8 sequence). */
static void flush_text(struct run *r)
{
    if (!r->s->m->tok || r->stopped)
        return;
    int32_t n = tok_stream_flush(&r->stream, r->s->text, r->s->text_cap);
    if (n > 0 && r->emit)
        r->emit(r->user, r->s->text, (size_t)n);
}

static int is_eot(const llm_session *s, int32_t id)
{
    for (uint32_t i = 0; i < s->n_eog; i++)
        if (s->eog[i] == id)
            return 1;
    return s->set.chat && chat_is_eot(&s->chat, id);
}

/* Makes room for the pending token, s->prompt_ids and one generated token;
 * when a new turn cannot fit beside the last reply, only the kept prefix
 * stays. 0, or -1 with err set. */
static int fit_prompt(llm_session *s, int turn, char *err, size_t errlen)
{
    uint32_t extra = s->pending >= 0 ? 1 : 0;
    if (s->n_prompt + extra == 0) {
        snprintf(err, errlen, "empty prompt");
        return -1;
    }
    if (make_room(s, s->n_prompt + extra + 1) != 0 && turn && s->n_hist > s->n_keep) {
        /* The last reply alone fills the context: keep only the prefix. */
        s->n_hist = s->n_keep;
        s->n_turns = 0;
        s->pending = -1;
        extra = 0;
    }
    if (s->n_hist + s->n_prompt + extra + 1 > s->st.ctx) {
        snprintf(err, errlen, "prompt too long: %lu tokens for a context of %lu",
                 (unsigned long)(s->n_prompt + s->n_hist), (unsigned long)s->st.ctx);
        return -1;
    }
    return 0;
}

/* Records that a turn starts at the current position. 1 when a boundary was
 * added; 0 when the table was full and the oldest one was forgotten instead
 * (that cannot be undone). */
static int start_turn(llm_session *s)
{
    if (s->n_turns < LLM_MAX_TURNS) {
        s->turn[s->n_turns++] = s->n_hist;
        return 1;
    }
    memmove(s->turn, s->turn + 1, sizeof(uint32_t) * (LLM_MAX_TURNS - 1));
    s->turn[LLM_MAX_TURNS - 1] = s->n_hist;
    return 0;
}

/* Evaluates the pending token, then s->prompt_ids (a new turn when `turn`
 * is set). 0, 1 when `poll` stopped the prompt (the turn never happened), or
 * -1 with err set. */
static int eval_prompt(llm_session *s, int turn, const struct stop_poll *poll, char *err, size_t errlen)
{
    if (s->pending >= 0) {
        if (eval_tokens(s, &s->pending, 1, NULL, err, errlen) != 0)
            return -1;
        s->pending = -1;
    }
    int new_boundary = turn && start_turn(s);
    int rc = eval_tokens(s, s->prompt_ids, s->n_prompt, poll, err, errlen);
    if (rc > 0 && new_boundary)
        s->n_turns--;
    return rc;
}

/* Samples from the current logits until a stop condition and returns it
 * (LLM_STOP_ERROR with err set). The last sampled token stays pending. */
static enum llm_stop_reason sample_reply(llm_session *s, struct run *r, char *err, size_t errlen)
{
    uint32_t n_vocab = s->m->cfg.n_vocab, max = (uint32_t)s->set.max_tokens;
    s->last_eot = 0;
    while (s->n_gen < max) {
        /* The sampler's penalty edits the logits: they are recomputed next. */
        int32_t id = sampler_sample(s->smp, (float *)s->logits, (int)n_vocab, s->hist, (int)s->n_hist);
        if (id < 0) {
            snprintf(err, errlen, "sampling failed");
            return LLM_STOP_ERROR;
        }
        s->gen_ids[s->n_gen++] = id;
        s->pending = id;
        if (is_eot(s, id)) {
            s->last_eot = 1;
            return LLM_STOP_EOS;
        }
        emit_token(r, id);
        if (r->stopped)
            return LLM_STOP_CALLBACK;
        if (s->n_gen == max)
            return LLM_STOP_LIMIT;
        if (make_room(s, 1) != 0)
            return LLM_STOP_CONTEXT;
        s->pending = -1;
        if (eval_tokens(s, &id, 1, NULL, err, errlen) != 0)
            return LLM_STOP_ERROR;
    }
    return LLM_STOP_LIMIT;
}

/* Evaluates s->prompt_ids (after a pending token), then samples a reply.
 * The prompt starts a new turn when `turn` is set. */
static int run_prompt(llm_session *s, int turn, llm_emit_fn emit, void *user, struct llm_result *res, char *err,
                      size_t errlen)
{
    memset(res, 0, sizeof *res);
    res->prompt_ids = s->prompt_ids;
    res->n_prompt_ids = s->n_prompt;
    res->gen_ids = s->gen_ids;
    s->n_gen = 0;
    if (fit_prompt(s, turn, err, errlen) != 0)
        return -1;
    uint32_t n_eval = s->n_prompt + (s->pending >= 0 ? 1 : 0);
    struct stop_poll poll = { emit, user };
    uint64_t t0 = llm_time_ns();
    int rc = eval_prompt(s, turn, &poll, err, errlen);
    uint64_t t1 = llm_time_ns();
    res->prompt_ns = t1 - t0;
    if (rc < 0)
        return -1;
    if (rc > 0) {
        res->stop = LLM_STOP_CALLBACK;
        return 0;
    }
    res->prompt_tokens = n_eval;

    struct run r = { s, emit, user, { 0 }, 0 };
    if (s->m->tok) {
        tok_stream_init(&r.stream, s->m->tok);
        r.stream.prev = s->hist[s->n_hist - 1];
    }
    res->stop = sample_reply(s, &r, err, errlen);
    if (res->stop == LLM_STOP_ERROR)
        return -1;
    flush_text(&r);
    res->gen_tokens = s->n_gen;
    res->gen_ns = llm_time_ns() - t1;
    res->n_gen_ids = s->n_gen;
    return 0;
}

int llm_generate_ids(llm_session *s, const int32_t *ids, uint32_t n, llm_emit_fn emit, void *user,
                     struct llm_result *res, char *err, size_t errlen)
{
    if (n > s->st.ctx) {
        snprintf(err, errlen, "prompt too long: %lu tokens for a context of %lu", (unsigned long)n,
                 (unsigned long)s->st.ctx);
        return -1;
    }
    llm_session_reset(s);
    memcpy(s->prompt_ids, ids, sizeof(int32_t) * n);
    s->n_prompt = n;
    return run_prompt(s, 0, emit, user, res, err, errlen);
}

int llm_tokenize(const llm_model *m, const char *text, size_t len, int add_bos, int32_t *ids, uint32_t max_ids,
                 char *err, size_t errlen)
{
    if (!m->tok) {
        snprintf(err, errlen, "this model has no tokenizer: give token ids");
        return -1;
    }
    uint32_t at = 0;
    if (add_bos && tok_bos(m->tok) >= 0) {
        if (max_ids == 0)
            goto too_long;
        ids[at++] = tok_bos(m->tok);
    }
    if (len > 0x7fffffffu)
        goto too_long;
    int32_t n = tok_encode(m->tok, text, (uint32_t)len, ids + at, max_ids - at);
    if (n == TOK_ERR_TOO_MANY)
        goto too_long;
    if (n < 0) {
        snprintf(err, errlen, "tokenizer failed (%s)", n == TOK_ERR_NOMEM ? "out of memory" : "invalid input");
        return -1;
    }
    return (int)(at + (uint32_t)n);
too_long:
    snprintf(err, errlen, "prompt too long: more than %lu tokens", (unsigned long)max_ids);
    return -1;
}

/* Formats one chat turn into s->prompt_ids: the whole conversation start the
 * first time (and records the kept prefix), one more user turn afterwards. */
static int format_turn(llm_session *s, const char *text, size_t len, char *err, size_t errlen)
{
    chat_message msgs[2];
    int n_msgs = 0, n;
    const char *sys = s->set.system_prompt;
    uint32_t sys_len = sys ? (uint32_t)strlen(sys) : s->chat.default_system_len;
    if (!sys)
        sys = s->chat.default_system;
    if (len > 0x7fffffffu)
        len = 0x7fffffffu;
    chat_message user = { CHAT_USER, text, (uint32_t)len };
    uint32_t cap = s->st.ctx + 1;
    if (s->n_hist == 0 && s->pending < 0) {
        int k = s->chat.add_bos && s->chat.bos >= 0 ? 1 : 0;
        if (sys_len) {
            chat_message m0 = { CHAT_SYSTEM, sys, sys_len };
            msgs[n_msgs++] = m0;
            /* The empty history is scratch space for the system part alone. */
            k = chat_format(&s->chat, msgs, 1, 0, s->hist, (int)s->st.ctx);
        }
        msgs[n_msgs++] = user;
        n = chat_format(&s->chat, msgs, n_msgs, 1, s->prompt_ids, (int)cap);
        /* Context shifts keep the system part when the template puts it in
         * front of the first turn (ChatML, Llama-3, ...), else just BOS. */
        if (k > 0 && n >= k && sys_len && memcmp(s->hist, s->prompt_ids, sizeof(int32_t) * (size_t)k) != 0)
            k = s->chat.add_bos && s->chat.bos >= 0 ? 1 : 0;
        s->n_keep = k > 0 && n >= k ? (uint32_t)k : 0;
    } else {
        n = chat_format_next(&s->chat, &user, s->last_eot, s->prompt_ids, (int)cap);
    }
    if (n < 0) {
        snprintf(err, errlen, "prompt too long for a context of %lu tokens", (unsigned long)s->st.ctx);
        return -1;
    }
    s->n_prompt = (uint32_t)n;
    return 0;
}

int llm_generate_raw(llm_session *s, const char *prompt, size_t len, llm_emit_fn emit, void *user,
                     struct llm_result *res, char *err, size_t errlen)
{
    int n = llm_tokenize(s->m, prompt, len, s->m->add_bos, s->prompt_ids, s->st.ctx, err, errlen);
    if (n < 0)
        return -1;
    llm_session_reset(s);
    s->n_prompt = (uint32_t)n;
    return run_prompt(s, 0, emit, user, res, err, errlen);
}

int llm_generate(llm_session *s, const char *prompt, size_t len, llm_emit_fn emit, void *user,
                 struct llm_result *res, char *err, size_t errlen)
{
    if (!s->m->tok) {
        snprintf(err, errlen, "this model has no tokenizer: give token ids");
        return -1;
    }
    if (!s->set.chat)
        return llm_generate_raw(s, prompt, len, emit, user, res, err, errlen);
    if (format_turn(s, prompt, len, err, errlen) != 0)
        return -1;
    return run_prompt(s, 1, emit, user, res, err, errlen);
}

#define MAX_CHAT_MESSAGES 256

int llm_generate_chat(llm_session *s, const struct llm_message *msgs, int n_msgs, llm_emit_fn emit, void *user,
                      struct llm_result *res, char *err, size_t errlen)
{
    static const chat_role roles[] = { CHAT_SYSTEM, CHAT_USER, CHAT_ASSISTANT };
    if (!s->set.chat) {
        snprintf(err, errlen, "this model has no chat template");
        return -1;
    }
    if (n_msgs < 1 || n_msgs > MAX_CHAT_MESSAGES) {
        snprintf(err, errlen, "a conversation has 1..%d messages", MAX_CHAT_MESSAGES);
        return -1;
    }
    chat_message *cm = llm_alloc(sizeof(chat_message) * (size_t)(n_msgs + 1), 8);
    if (!cm) {
        snprintf(err, errlen, "out of memory for the conversation");
        return -1;
    }
    int k = 0;
    if (msgs[0].role != LLM_ROLE_SYSTEM) {
        const char *sys = s->set.system_prompt ? s->set.system_prompt : s->chat.default_system;
        uint32_t sys_len = s->set.system_prompt ? (uint32_t)strlen(sys) : s->chat.default_system_len;
        if (sys_len)
            cm[k++] = (chat_message){ CHAT_SYSTEM, sys, sys_len };
    }
    for (int i = 0; i < n_msgs; i++) {
        size_t len = msgs[i].len > 0x7fffffffu ? 0x7fffffffu : msgs[i].len;
        chat_role role = (unsigned)msgs[i].role < 3 ? roles[msgs[i].role] : CHAT_USER;
        cm[k++] = (chat_message){ role, msgs[i].text, (uint32_t)len };
    }
    llm_session_reset(s);
    int n = chat_format(&s->chat, cm, k, 1, s->prompt_ids, (int)s->st.ctx + 1);
    llm_free(cm);
    if (n < 0) {
        snprintf(err, errlen, "prompt too long for a context of %lu tokens", (unsigned long)s->st.ctx);
        return -1;
    }
    s->n_prompt = (uint32_t)n;
    return run_prompt(s, 1, emit, user, res, err, errlen);
}

int llm_session_set_sampling(llm_session *s, const struct llm_sampling *p, int32_t max_tokens, char *err,
                             size_t errlen)
{
    struct llm_settings want = s->set;
    want.sampling = *p;
    want.max_tokens = max_tokens;
    if (llm_settings_check(&want, err, errlen) != 0)
        return -1;
    resolve_whole_context(&want);
    p = &want.sampling;
    max_tokens = want.max_tokens;
    sampler_params sp = { p->temperature, p->top_k, p->top_p, p->min_p, p->repeat_penalty, p->repeat_last_n,
                          p->seed };
    sampler *smp = sampler_create(&sp, (int)s->m->cfg.n_vocab);
    if (!smp) {
        snprintf(err, errlen, "out of memory for the sampler");
        return -1;
    }
    if (max_tokens > s->set.max_tokens) {
        int32_t *ids = llm_alloc(sizeof(int32_t) * ((size_t)max_tokens + 1), 8);
        if (!ids) {
            sampler_free(smp);
            snprintf(err, errlen, "out of memory for %ld tokens", (long)max_tokens);
            return -1;
        }
        llm_free(s->gen_ids);
        s->gen_ids = ids;
    }
    sampler_free(s->smp);
    s->smp = smp;
    s->set.sampling = *p;
    s->set.max_tokens = max_tokens;
    return 0;
}
