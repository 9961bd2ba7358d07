/* train_text.c: the training text as token ids, and the chunks of the steps
 * (train.h).
 *
 * Plain UTF-8 is tokenized as it stands (BOS first when the model wants
 * it). A file of ChatML turns, "<|im_start|>ROLE\nTEXT<|im_end|>" with
 * ROLE system, user or assistant and only whitespace between the turns, is
 * a conversation: for a model with a chat template it is rendered with that
 * template (chat_format, as `chat` and the API render theirs: the template's
 * default system prompt when the file has none, control tokens for the
 * markers, the texts never turned into control tokens). A model without a
 * template sees the file as plain text, markers included.
 */
#include "train/trainer.h"

#include "platform.h"
#include "text/chat.h"
#include "text/tokenizer_internal.h"

#define TURN_OPEN "<|im_start|>"
#define TURN_CLOSE "<|im_end|>"
/* Token ids a rendered turn may add besides its text: the markers, the
 * newlines and the family's role name (a Gemma template's "model"). */
#define TURN_EXTRA_IDS 16u

static int starts_with(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && !memcmp(s, prefix, n);
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Position of needle in s[0..len), or len when it is not there. */
static size_t find(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (!memcmp(s + i, needle, n))
            return i;
    return len;
}

/* 1 when the text, after leading whitespace, opens a ChatML turn. */
static int is_chat_file(const char *text, size_t len)
{
    size_t at = 0;
    while (at < len && is_blank(text[at]))
        at++;
    return starts_with(text + at, len - at, TURN_OPEN);
}

/* The turns of a chat file into msgs (room for max_msgs): their count, or
 * -1 with one line in err. */
static int parse_turns(const char *text, size_t len, chat_message *msgs, int max_msgs, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        chat_role role;
    } roles[] = { { "system", CHAT_SYSTEM }, { "user", CHAT_USER }, { "assistant", CHAT_ASSISTANT } };
    int n = 0;
    size_t at = 0;
    for (;;) {
        while (at < len && is_blank(text[at]))
            at++;
        if (at == len)
            return n;
        if (!starts_with(text + at, len - at, TURN_OPEN) || n == max_msgs) {
            snprintf(err, errlen, "train: chat turn %d: text outside " TURN_OPEN "..." TURN_CLOSE " (byte %lu)",
                     n + 1, (unsigned long)at);
            return -1;
        }
        at += strlen(TURN_OPEN);
        size_t nl = find(text + at, len - at, "\n");
        uint32_t r = 0;
        while (r < 3 && !(nl == strlen(roles[r].name) && !memcmp(text + at, roles[r].name, nl)))
            r++;
        if (r == 3) {
            snprintf(err, errlen, "train: chat turn %d: the role must be system, user or assistant", n + 1);
            return -1;
        }
        at += nl + 1;
        size_t end = find(text + at, len - at, TURN_CLOSE);
        if (at + end == len) {
            snprintf(err, errlen, "train: chat turn %d has no " TURN_CLOSE, n + 1);
            return -1;
        }
        msgs[n++] = (chat_message){ roles[r].role, text + at, (uint32_t)end };
        at += end + strlen(TURN_CLOSE);
    }
}

/* The chat file rendered with the model's template into *buf (allocated
 * here): the count of ids, or -1 with err set. */
static int chat_ids(const chat_template *ct, const char *text, size_t len, int32_t **buf,
                    char *err, size_t errlen)
{
    int max_msgs = 0;
    for (size_t at = 0; at < len; max_msgs++)
        at += find(text + at, len - at, TURN_OPEN) + 1;
    chat_message *msgs = llm_alloc(sizeof *msgs * (size_t)max_msgs, 8);
    uint64_t cap = len + ct->default_system_len + (uint64_t)TURN_EXTRA_IDS * ((uint64_t)max_msgs + 2);
    *buf = cap < 0x3fffffff ? llm_alloc(sizeof(int32_t) * (size_t)cap, 8) : NULL;
    int got = -1;
    if (!msgs || !*buf)
        snprintf(err, errlen, "train: out of memory for the tokens");
    else if ((got = parse_turns(text, len, msgs, max_msgs, err, errlen)) >= 0 &&
             (got = chat_format(ct, msgs, got, 0, *buf, (int)cap)) < 0)
        snprintf(err, errlen, "train: out of memory for the tokens");
    llm_free(msgs);
    return got;
}

int train_tokenize(const llm_model *m, const char *text, size_t len, uint32_t ctx, int32_t **ids, uint32_t *n,
                   char *err, size_t errlen)
{
    *ids = NULL;
    *n = 0;
    if (len == 0) {
        snprintf(err, errlen, "train: the file is empty");
        return -1;
    }
    for (size_t at = 0; at < len;) {
        uint32_t cp, step = tok_utf8_next((const uint8_t *)text + at, (uint32_t)(len - at), &cp);
        if (step == 1 && cp == 0xfffd) {
            snprintf(err, errlen, "train: the file is not UTF-8 text (byte %lu)", (unsigned long)at);
            return -1;
        }
        at += step;
    }
    if (len > 0x3fffffff) {
        snprintf(err, errlen, "train: the file is too large");
        return -1;
    }
    if (!m->tok) {
        snprintf(err, errlen, "train: this model has no tokenizer: give token ids");
        return -1;
    }
    chat_template ct;
    int chat = is_chat_file(text, len) && m->chat_template &&
               chat_init(&ct, m->tok, m->chat_template, m->chat_template_len, m->add_bos, err, errlen) == 0 &&
               ct.family != CHAT_RAW;
    int32_t *buf = NULL;
    int got;
    if (chat) {
        got = chat_ids(&ct, text, len, &buf, err, errlen);
    } else {
        uint32_t cap = (uint32_t)len + 2;
        buf = llm_alloc(sizeof(int32_t) * cap, 8);
        got = buf ? llm_tokenize(m, text, len, m->add_bos, buf, cap, err, errlen) : -1;
        if (!buf)
            snprintf(err, errlen, "train: out of memory for the tokens");
    }
    if (got >= 0 && (uint32_t)got < ctx + 1) {
        snprintf(err, errlen, "train: the file is %d tokens, shorter than one chunk of train_ctx + 1 = %u", got,
                 ctx + 1);
        got = -1;
    }
    if (got < 0) {
        llm_free(buf);
        return -1;
    }
    *ids = buf;
    *n = (uint32_t)got;
    return 0;
}

const int32_t *train_chunk(const int32_t *ids, uint32_t n, uint32_t ctx, uint32_t step)
{
    uint32_t chunks = (n - 1) / ctx;
    return ids + (size_t)(step % chunks) * ctx;
}
