/* chat.c: chat template families (chat.h) written out as token sequences.
 *
 * A template is a run of control tokens and text segments. Each text segment
 * is everything between two control tokens (e.g. "user\nHello" after
 * <|im_start|>), encoded with ONE tok_encode call, because that is how the
 * reference implementations tokenize a rendered template: encoding "user\n"
 * and "Hello" separately could split whitespace runs differently.
 */
#include "text/chat.h"

#include "platform.h"
#include "text/tokenizer.h"

/* ---- template recognition ---------------------------------------------- */

/* Position of needle in hay[0..len), or -1. */
static int32_t find(const char *hay, uint32_t len, const char *needle)
{
    uint32_t n = (uint32_t)strlen(needle);
    for (uint32_t i = 0; n <= len && i <= len - n; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return (int32_t)i;
    return -1;
}

chat_family chat_detect(const char *tmpl, uint32_t len)
{
    if (!tmpl || len == 0)
        return CHAT_RAW;
    if (find(tmpl, len, "<|im_start|>") >= 0)
        return CHAT_CHATML;
    if (find(tmpl, len, "<|start_header_id|>") >= 0)
        return CHAT_LLAMA3;
    if (find(tmpl, len, "<start_of_turn>") >= 0)
        return CHAT_GEMMA;
    if (find(tmpl, len, "[INST]") >= 0)
        return CHAT_LLAMA2;
    return CHAT_RAW; /* an unknown template: plain completion is the safe choice */
}

const char *chat_family_name(chat_family f)
{
    switch (f) {
    case CHAT_CHATML: return "chatml";
    case CHAT_LLAMA2: return "llama2";
    case CHAT_LLAMA3: return "llama3";
    case CHAT_GEMMA: return "gemma";
    default: return "raw";
    }
}

/* A ChatML template that writes a system turn as a literal string, e.g.
 * '<|im_start|>system\nYou are ...<|im_end|>\n', has a default system prompt.
 * The newline may be a real one or the Jinja escape "\n". Anything that looks
 * like an expression (braces, quotes, other escapes) is not a literal. Each
 * "<|im_start|>system" is tried in turn: Qwen2.5's template writes the
 * system turn of a conversation that has one (and of tool calls) before the
 * literal default. */
static int literal_system(chat_template *c, const char *tmpl, uint32_t len, uint32_t i)
{
    if (i < len && tmpl[i] == '\n')
        i += 1;
    else if (i + 1 < len && tmpl[i] == '\\' && tmpl[i + 1] == 'n')
        i += 2;
    else
        return 0;
    int32_t end = find(tmpl + i, len - i, "<|im_end|>");
    if (end <= 0 || (uint32_t)end >= sizeof c->default_system)
        return 0;
    for (int32_t k = 0; k < end; k++) {
        char ch = tmpl[i + (uint32_t)k];
        if (ch == '{' || ch == '}' || ch == '\'' || ch == '"' || ch == '\\' || ch == '\n')
            return 0;
    }
    memcpy(c->default_system, tmpl + i, (size_t)end);
    c->default_system_len = (uint32_t)end;
    return 1;
}

static void find_default_system(chat_template *c, const char *tmpl, uint32_t len)
{
    static const char open[] = "<|im_start|>system";
    for (uint32_t from = 0; from < len;) {
        int32_t at = find(tmpl + from, len - from, open);
        if (at < 0)
            return;
        uint32_t after = from + (uint32_t)at + sizeof open - 1;
        if (literal_system(c, tmpl, len, after))
            return;
        from = after;
    }
}

static int need(const chat_template *c, const char *piece, int32_t *id, char *err, size_t errlen)
{
    *id = tok_lookup(c->tok, piece);
    if (*id < 0) {
        snprintf(err, errlen, "chat template %s needs the token %s, which the vocabulary lacks",
                 chat_family_name(c->family), piece);
        return -1;
    }
    return 0;
}

static void add_eot(chat_template *c, int32_t id)
{
    if (id < 0 || chat_is_eot(c, id) || c->n_eot == LLM_MAX_EOT)
        return;
    c->eot[c->n_eot++] = id;
}

int chat_init(chat_template *c, const struct tokenizer *tok, const char *tmpl, uint32_t tmpl_len,
              int add_bos, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->tok = tok;
    c->family = chat_detect(tmpl, tmpl_len);
    c->add_bos = add_bos;
    c->bos = tok_bos(tok);
    c->open = c->close = c->header_end = -1;
    int rc = 0;
    switch (c->family) {
    case CHAT_CHATML:
        rc = need(c, "<|im_start|>", &c->open, err, errlen) || need(c, "<|im_end|>", &c->close, err, errlen);
        find_default_system(c, tmpl, tmpl_len);
        break;
    case CHAT_LLAMA3:
        rc = need(c, "<|start_header_id|>", &c->open, err, errlen) ||
             need(c, "<|end_header_id|>", &c->header_end, err, errlen) ||
             need(c, "<|eot_id|>", &c->close, err, errlen);
        c->add_bos = 1; /* the template begins with <|begin_of_text|> */
        break;
    case CHAT_GEMMA:
        rc = need(c, "<start_of_turn>", &c->open, err, errlen) ||
             need(c, "<end_of_turn>", &c->close, err, errlen);
        c->add_bos = 1; /* the template begins with <bos> */
        break;
    case CHAT_LLAMA2:
        c->close = tok_eos(tok); /* an answer ends with </s> */
        if (c->close < 0 || c->bos < 0) {
            snprintf(err, errlen, "chat template llama2 needs BOS and EOS tokens");
            rc = -1;
        }
        c->add_bos = 1; /* every [INST] turn begins with <s> */
        break;
    case CHAT_RAW:
        break;
    }
    if (rc)
        return -1;
    add_eot(c, c->close);
    add_eot(c, tok_eos(tok));
    return 0;
}

int chat_is_eot(const chat_template *c, int32_t id)
{
    for (int i = 0; i < c->n_eot; i++)
        if (c->eot[i] == id)
            return 1;
    return 0;
}

/* ---- emitting ids ------------------------------------------------------ */

typedef struct {
    const char *p;
    uint32_t n;
} piece;

typedef struct {
    const chat_template *c;
    int32_t *ids;
    int n, max;
    int failed; /* out of room or out of memory: the whole call fails */
} emitter;

#define LIT(s) ((piece){s, sizeof(s) - 1})

static void emit_id(emitter *e, int32_t id)
{
    if (e->failed)
        return;
    if (e->n >= e->max) {
        e->failed = 1;
        return;
    }
    e->ids[e->n++] = id;
}

/* One text segment made of `count` pieces, encoded in a single call. */
static void emit_text(emitter *e, const piece *parts, int count)
{
    if (e->failed)
        return;
    uint64_t total = 0;
    for (int i = 0; i < count; i++)
        total += parts[i].n;
    if (total == 0)
        return;
    if (total >= 0x7fffffffu) {
        e->failed = 1;
        return;
    }
    char *buf = llm_alloc((size_t)total, 1);
    if (!buf) {
        e->failed = 1;
        return;
    }
    size_t at = 0;
    for (int i = 0; i < count; i++) {
        memcpy(buf + at, parts[i].p, parts[i].n);
        at += parts[i].n;
    }
    int32_t got = tok_encode(e->c->tok, buf, (uint32_t)total, e->ids + e->n, (uint32_t)(e->max - e->n));
    llm_free(buf);
    if (got < 0)
        e->failed = 1;
    else
        e->n += got;
}

static piece role_name(const chat_template *c, chat_role r)
{
    if (r == CHAT_SYSTEM)
        return LIT("system");
    if (r == CHAT_USER)
        return LIT("user");
    return c->family == CHAT_GEMMA ? LIT("model") : LIT("assistant");
}

static int is_space(char ch)
{
    return ch == ' ' || (ch >= '\t' && ch <= '\r') || (ch >= 0x1c && ch <= 0x1f);
}

/* Python's str.strip() over the concatenation of p[0..n), which is what the
 * Llama-2, Llama-3 and Gemma templates apply to messages (Jinja `trim`,
 * `.strip()`). ASCII whitespace only: Unicode spaces at the very edge of a
 * message stay. */
static void strip_pieces(piece *p, int n)
{
    for (int i = 0; i < n; i++) {
        while (p[i].n && is_space(p[i].p[0]))
            p[i].p++, p[i].n--;
        if (p[i].n)
            break;
    }
    for (int i = n - 1; i >= 0; i--) {
        while (p[i].n && is_space(p[i].p[p[i].n - 1]))
            p[i].n--;
        if (p[i].n)
            break;
    }
}

/* One complete turn. `sys` (may be NULL) is a system prompt folded into this
 * user turn, for the families that have no system role of their own. */
static void emit_turn(emitter *e, chat_role role, piece text, const piece *sys)
{
    const chat_template *c = e->c;
    piece nl = LIT("\n");
    switch (c->family) {
    case CHAT_CHATML: {
        piece seg[] = {role_name(c, role), nl, text};
        emit_id(e, c->open);
        emit_text(e, seg, 3);
        emit_id(e, c->close);
        emit_text(e, &nl, 1);
        break;
    }
    case CHAT_LLAMA3: {
        strip_pieces(&text, 1);
        piece role_p = role_name(c, role), seg[] = {LIT("\n\n"), text};
        emit_id(e, c->open);
        emit_text(e, &role_p, 1);
        emit_id(e, c->header_end);
        emit_text(e, seg, 2);
        emit_id(e, c->close);
        break;
    }
    case CHAT_GEMMA: {
        strip_pieces(&text, 1); /* the folded system prompt is not stripped */
        piece none = {"", 0};
        piece seg[] = {role_name(c, role), nl, sys ? *sys : none, sys ? LIT("\n\n") : none, text};
        emit_id(e, c->open);
        emit_text(e, seg, 5);
        emit_id(e, c->close);
        emit_text(e, &nl, 1);
        break;
    }
    case CHAT_LLAMA2:
        if (role == CHAT_ASSISTANT) {
            strip_pieces(&text, 1);
            piece seg[] = {LIT(" "), text, LIT(" ")};
            emit_text(e, seg, 3);
            emit_id(e, c->close);
        } else {
            piece none = {"", 0};
            piece seg[] = {LIT("[INST] "), sys ? LIT("<<SYS>>\n") : none, sys ? *sys : none,
                           sys ? LIT("\n<</SYS>>\n\n") : none, text, LIT(" [/INST]")};
            strip_pieces(seg + 1, 4); /* the template strips system block + text as one */
            emit_id(e, c->bos);
            emit_text(e, seg, 6);
        }
        break;
    case CHAT_RAW:
        emit_text(e, &text, 1);
        break;
    }
}

/* The opening of the assistant's turn (nothing for LLAMA2 and RAW: the model
 * answers right after [/INST] or continues the text). */
static void emit_generation_prompt(emitter *e)
{
    const chat_template *c = e->c;
    piece role_p = role_name(c, CHAT_ASSISTANT);
    if (c->family == CHAT_CHATML || c->family == CHAT_GEMMA) {
        piece seg[] = {role_p, LIT("\n")};
        emit_id(e, c->open);
        emit_text(e, seg, 2);
    } else if (c->family == CHAT_LLAMA3) {
        piece nl2 = LIT("\n\n");
        emit_id(e, c->open);
        emit_text(e, &role_p, 1);
        emit_id(e, c->header_end);
        emit_text(e, &nl2, 1);
    }
}

static piece text_of(const chat_message *m)
{
    return (piece){m->text ? m->text : "", m->text ? m->len : 0};
}

int chat_format(const chat_template *c, const chat_message *msgs, int n_msgs, int add_generation_prompt,
                int32_t *out, int max_out)
{
    emitter e = {c, out, 0, max_out, max_out < 0};
    if (c->add_bos && c->bos >= 0 && c->family != CHAT_LLAMA2) /* LLAMA2 puts <s> before each [INST] */
        emit_id(&e, c->bos);
    /* The system prompt: the first message if it is one, else the default. */
    piece sys = {c->default_system, c->default_system_len};
    int have_sys = c->default_system_len > 0, first = 0;
    if (n_msgs > 0 && msgs[0].role == CHAT_SYSTEM) {
        sys = text_of(&msgs[0]);
        have_sys = 1;
        first = 1;
    }
    /* Families without a system role fold it into the first user turn. */
    int fold = c->family == CHAT_GEMMA || c->family == CHAT_LLAMA2;
    if (have_sys && c->family != CHAT_RAW && !fold)
        emit_turn(&e, CHAT_SYSTEM, sys, NULL);
    for (int i = first; i < n_msgs; i++) {
        if (msgs[i].role == CHAT_SYSTEM && c->family == CHAT_RAW)
            continue;
        int folds_here = fold && have_sys && i == first;
        if (folds_here && msgs[i].role != CHAT_USER)
            emit_turn(&e, CHAT_USER, (piece){"", 0}, &sys); /* no user turn to carry it */
        emit_turn(&e, msgs[i].role, text_of(&msgs[i]), folds_here && msgs[i].role == CHAT_USER ? &sys : NULL);
    }
    if (fold && have_sys && first >= n_msgs) /* only a system prompt */
        emit_turn(&e, CHAT_USER, (piece){"", 0}, &sys);
    if (add_generation_prompt)
        emit_generation_prompt(&e);
    return e.failed ? -1 : e.n;
}

int chat_format_next(const chat_template *c, const chat_message *user, int eot_generated, int32_t *out,
                     int max_out)
{
    emitter e = {c, out, 0, max_out, max_out < 0};
    if (!eot_generated && c->close >= 0 && c->family != CHAT_RAW)
        emit_id(&e, c->close);
    /* What the template writes after the closing token of an assistant turn. */
    if (c->family == CHAT_CHATML || c->family == CHAT_GEMMA) {
        piece nl = LIT("\n");
        emit_text(&e, &nl, 1);
    }
    emit_turn(&e, CHAT_USER, text_of(user), NULL);
    emit_generation_prompt(&e);
    return e.failed ? -1 : e.n;
}
