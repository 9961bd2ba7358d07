/* settings.c: the engine's settings table (struct llm_settings) and the
 * parser, checker and formatter of settings.h. Numbers are read by one exact
 * decimal parser in every build, so `set temperature 0.8` in the OS and
 * `--temp 0.8` on the host store the same float. The ranges are the ones a
 * llama.cpp user expects, where the engine can honour them (-1 for "the
 * whole context" as llama.cpp's -n and --repeat-last-n take it). */
#include "settings.h"
#include "llm.h"
#include "params.h"
#include "platform.h"
#include "train/lora.h"
#include "train/train.h"

#define AT(field) offsetof(struct llm_settings, field)
const struct llm_setting llm_session_settings[] = {
    { "temperature", LLM_SETTING_FLOAT, 0.8, 0, 100, AT(sampling.temperature),
      "divides the logits before the draw; 0: always the most likely token" },
    { "top_k", LLM_SETTING_INT, 40, 0, LLM_MAX_VOCAB, AT(sampling.top_k),
      "keep only the k most likely tokens; 0: all" },
    { "top_p", LLM_SETTING_FLOAT, 0.95, 0, 1, AT(sampling.top_p),
      "keep the most likely tokens up to this total probability; 1: all" },
    { "min_p", LLM_SETTING_FLOAT, 0.05, 0, 1, AT(sampling.min_p),
      "drop tokens less likely than this times the most likely one; 0: none" },
    { "repeat_penalty", LLM_SETTING_FLOAT, 1.0, 0.01, 100, AT(sampling.repeat_penalty),
      "penalize the logits of recently seen tokens by this factor; 1: off" },
    { "repeat_last_n", LLM_SETTING_INT, 64, -1, LLM_MAX_CTX, AT(sampling.repeat_last_n),
      "how many recent tokens the penalty looks at; 0: none, -1: the whole context" },
    { "seed", LLM_SETTING_U64, 0, 0, 0, AT(sampling.seed),
      "seed of the random draws: the same seed gives the same text" },
    { "max_tokens", LLM_SETTING_INT, 256, -1, LLM_MAX_NEW_TOKENS, AT(max_tokens),
      "new tokens per answer at most; -1: until the context is full" },
    { "ctx", LLM_SETTING_INT, 2048, 1, LLM_MAX_CTX, AT(ctx),
      "context length in tokens (the KV cache is sized for it)" },
    { NULL, 0, 0, 0, 0, 0, NULL },
};

#define TR(field) offsetof(struct llm_train_settings, field)
const struct llm_setting llm_train_settings[] = {
    { "lora_rank", LLM_SETTING_INT, 8, 1, LLM_LORA_MAX_RANK, TR(lora_rank),
      "rank of the LoRA matrices a training makes" },
    { "lora_alpha", LLM_SETTING_FLOAT, 16, 0.001, 100000, TR(lora_alpha),
      "LoRA alpha: the adapter's product is scaled by alpha / rank" },
    { "lora_targets", LLM_SETTING_TARGETS, LORA_TARGETS_DEFAULT, 1, (1 << LORA_TARGETS) - 1, TR(lora_targets),
      "the matrices a training adapts, any of q,k,v,o,gate,down,up" },
    { "train_steps", LLM_SETTING_INT, 20, 0, 1000000, TR(train_steps),
      "AdamW steps of a training, one chunk of train_ctx tokens each" },
    { "train_lr", LLM_SETTING_FLOAT, 0.001, 0, 10, TR(train_lr), "AdamW learning rate" },
    { "train_ctx", LLM_SETTING_INT, 64, 2, LLM_TRAIN_MAX_CTX, TR(train_ctx),
      "tokens per training step (one chunk of the text)" },
    { "train_seed", LLM_SETTING_U64, 0, 0, 0, TR(train_seed), "seed of the adapter's random start" },
    { NULL, 0, 0, 0, 0, 0, NULL },
};

/* ---- numbers ------------------------------------------------------------ */

#define U64_MAX_TENTH 1844674407370955161ull /* (2^64 - 1) / 10, rest 5 */

/* v = v * 10 + d; 0 (v unchanged) when that passes 2^64 - 1. */
static int push_digit(uint64_t *v, unsigned d)
{
    if (*v > U64_MAX_TENTH || (*v == U64_MAX_TENTH && d > 5))
        return 0;
    *v = *v * 10 + d;
    return 1;
}

/* Decimal digits into *v; *digits counts them. Digits beyond what fits are
 * counted in *dropped (the number's scale still counts), or, when dropped is
 * NULL, make it fail: 0. */
static int parse_digits(const char **s, uint64_t *v, int *digits, int *dropped)
{
    *v = 0;
    *digits = 0;
    for (; **s >= '0' && **s <= '9'; (*s)++, (*digits)++) {
        if (push_digit(v, (unsigned)(**s - '0')))
            continue;
        if (!dropped)
            return 0;
        (*dropped)++;
    }
    return 1;
}

int llm_parse_decimal(const char *s, double *out)
{
    int neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    uint64_t m, e;
    int n_int, n_frac = 0, dropped = 0, exp10 = 0;
    parse_digits(&s, &m, &n_int, &dropped);
    exp10 += dropped;
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, n_frac++)
            if (push_digit(&m, (unsigned)(*s - '0')))
                exp10--;
    }
    if (n_int + n_frac == 0)
        return -1;
    if (*s == 'e' || *s == 'E') {
        s++;
        int eneg = *s == '-';
        if (*s == '-' || *s == '+')
            s++;
        int n_exp;
        if (!parse_digits(&s, &e, &n_exp, NULL) || n_exp == 0 || e > 400)
            return -1;
        exp10 += eneg ? -(int)e : (int)e;
    }
    if (*s || exp10 > 300 || exp10 < -300)
        return -1;
    /* One correctly rounded operation when m < 2^53 and |exp10| <= 22. */
    double p = 1;
    for (int i = 0; i < (exp10 < 0 ? -exp10 : exp10); i++)
        p *= 10;
    double v = exp10 < 0 ? (double)m / p : (double)m * p;
    *out = neg ? -v : v;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    int digits;
    if (!parse_digits(&s, out, &digits, NULL) || digits == 0 || *s)
        return -1;
    return 0;
}

/* The shortest of %.6g / %.9g that reads back as the same float. */
static void format_float(char *buf, size_t n, float f)
{
    double back;
    snprintf(buf, n, "%.6g", (double)f);
    if (llm_parse_decimal(buf, &back) != 0 || (float)back != f)
        snprintf(buf, n, "%.9g", (double)f);
}

/* ---- the rows ----------------------------------------------------------- */

const struct llm_setting *llm_setting_find(const struct llm_setting *table, const char *name)
{
    for (; table->name; table++)
        if (!strcmp(table->name, name))
            return table;
    return NULL;
}

void llm_setting_range(const struct llm_setting *st, char *buf, size_t n)
{
    char lo[LLM_SETTING_TEXT_MAX / 2 - 2], hi[sizeof lo];
    switch (st->type) {
    case LLM_SETTING_FLOAT:
        format_float(lo, sizeof lo, (float)st->lo);
        format_float(hi, sizeof hi, (float)st->hi);
        snprintf(buf, n, "%s to %s", lo, hi);
        break;
    case LLM_SETTING_INT: snprintf(buf, n, "%ld to %ld", (long)st->lo, (long)st->hi); break;
    case LLM_SETTING_U64: snprintf(buf, n, "0 to 18446744073709551615"); break;
    case LLM_SETTING_TARGETS: snprintf(buf, n, "any of q,k,v,o,gate,down,up"); break;
    }
}

/* "q,v": the names of the set bits, in target order. */
static void format_targets(char *buf, size_t n, int32_t bits)
{
    size_t at = 0;
    buf[0] = 0;
    for (uint32_t t = 0; t < LORA_TARGETS; t++)
        if (bits >> t & 1 && at < n)
            at += (size_t)snprintf(buf + at, n - at, "%s%s", at ? "," : "", lora_target_name(t));
}

/* Names separated by commas, each once at most: 0 and *out, else -1. */
static int parse_targets(const char *s, int32_t *out)
{
    int32_t bits = 0;
    for (;;) {
        size_t len = 0;
        while (s[len] && s[len] != ',')
            len++;
        uint32_t t = 0;
        while (t < LORA_TARGETS &&
               !(strlen(lora_target_name(t)) == len && !memcmp(lora_target_name(t), s, len)))
            t++;
        if (t == LORA_TARGETS || bits >> t & 1)
            return -1;
        bits |= 1 << t;
        if (!s[len])
            break;
        s += len + 1;
    }
    *out = bits;
    return 0;
}

void llm_setting_format(const struct llm_setting *st, const void *values, char *buf, size_t n)
{
    const void *p = (const char *)values + st->offset;
    switch (st->type) {
    case LLM_SETTING_FLOAT: format_float(buf, n, *(const float *)p); break;
    case LLM_SETTING_INT: snprintf(buf, n, "%ld", (long)*(const int32_t *)p); break;
    case LLM_SETTING_U64: snprintf(buf, n, "%llu", (unsigned long long)*(const uint64_t *)p); break;
    case LLM_SETTING_TARGETS: format_targets(buf, n, *(const int32_t *)p); break;
    }
}

/* Float rows compare as floats, the way the value is kept (0.01 as a float
 * is below 0.01 as a double). Beyond +-3e38 is beyond every float row's
 * range, and converting it to a float would overflow; NaN is refused too. */
static int in_range(const struct llm_setting *st, double v)
{
    if (st->type == LLM_SETTING_INT || st->type == LLM_SETTING_TARGETS)
        return v >= st->lo && v <= st->hi;
    if (!(v >= -3e38 && v <= 3e38))
        return 0;
    return (float)v >= (float)st->lo && (float)v <= (float)st->hi;
}

int llm_setting_parse(const struct llm_setting *st, const char *text, const char *label, void *values, char *err,
                      size_t errlen)
{
    const char *who = label ? label : st->name;
    char range[LLM_SETTING_TEXT_MAX];
    llm_setting_range(st, range, sizeof range);
    void *p = (char *)values + st->offset;
    if (st->type == LLM_SETTING_U64) {
        uint64_t v; /* parsed aside: a refused value leaves the setting as it was */
        if (parse_u64(text, &v) != 0) {
            snprintf(err, errlen, "%s: '%s' is not a whole number (%s)", who, text, range);
            return -1;
        }
        *(uint64_t *)p = v;
        return 0;
    }
    if (st->type == LLM_SETTING_TARGETS) {
        int32_t bits;
        if (parse_targets(text, &bits) != 0) {
            snprintf(err, errlen, "%s: '%s' is not a list of targets (%s)", who, text, range);
            return -1;
        }
        *(int32_t *)p = bits;
        return 0;
    }
    double v;
    int whole = st->type == LLM_SETTING_INT;
    if (llm_parse_decimal(text, &v) != 0) {
        snprintf(err, errlen, "%s: '%s' is not a%s number (%s)", who, text, whole ? " whole" : "", range);
        return -1;
    }
    /* Range first: only an in-range value may be converted to an integer. */
    if (!in_range(st, v)) {
        snprintf(err, errlen, "%s: %s is out of range (%s)", who, text, range);
        return -1;
    }
    if (whole && v != (double)(int32_t)v) {
        snprintf(err, errlen, "%s: '%s' is not a whole number (%s)", who, text, range);
        return -1;
    }
    if (whole)
        *(int32_t *)p = (int32_t)v;
    else
        *(float *)p = (float)v + 0.0f; /* -0 is kept, and shown, as 0 */
    return 0;
}

int llm_setting_check(const struct llm_setting *st, const void *values, char *err, size_t errlen)
{
    const void *p = (const char *)values + st->offset;
    int ok = st->type == LLM_SETTING_U64 ||
             (st->type != LLM_SETTING_FLOAT ? in_range(st, *(const int32_t *)p) : in_range(st, *(const float *)p));
    if (ok)
        return 0;
    char value[LLM_SETTING_TEXT_MAX], range[LLM_SETTING_TEXT_MAX];
    llm_setting_format(st, values, value, sizeof value);
    llm_setting_range(st, range, sizeof range);
    snprintf(err, errlen, "%s: %s is out of range (%s)", st->name, value, range);
    return -1;
}

void llm_setting_defaults(const struct llm_setting *table, void *values)
{
    for (; table->name; table++) {
        void *p = (char *)values + table->offset;
        switch (table->type) {
        case LLM_SETTING_FLOAT: *(float *)p = (float)table->def; break;
        case LLM_SETTING_INT:
        case LLM_SETTING_TARGETS: *(int32_t *)p = (int32_t)table->def; break;
        case LLM_SETTING_U64: *(uint64_t *)p = (uint32_t)table->def; break;
        }
    }
}

/* ---- struct llm_settings -------------------------------------------------- */

void llm_settings_default(struct llm_settings *s)
{
    llm_setting_defaults(llm_session_settings, s);
    s->chat = 0;
    s->system_prompt = NULL;
}

int llm_settings_check(const struct llm_settings *s, char *err, size_t errlen)
{
    for (const struct llm_setting *st = llm_session_settings; st->name; st++)
        if (llm_setting_check(st, s, err, errlen) != 0)
            return -1;
    return 0;
}

void llm_train_settings_default(struct llm_train_settings *s)
{
    llm_setting_defaults(llm_train_settings, s);
}
