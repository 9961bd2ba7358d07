/* tokenizer_pre.c: hand-written matchers for the BPE pre-tokenizer regexes
 * (no regex engine), and the table of tokenizer.ggml.pre names using them.
 * Each matcher returns the end of the match starting at code point i of the
 * piece [i, e), or i when nothing matches there. */
#include "text/tokenizer_pre.h"
#include "platform.h"
#include "text/unicode_tables.h"

enum splitter {
    /* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
    SPLIT_GPT2,
    /* (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
     *  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
    SPLIT_LLAMA3,
    SPLIT_QWEN2,       /* LLAMA3 with \p{N} instead of \p{N}{1,3} */
    SPLIT_DIGIT_EACH,  /* \p{N} */
    SPLIT_NUMBER_RUN,  /* \p{N}+ */
    SPLIT_DIGIT3,      /* [0-9][0-9][0-9] */
    SPLIT_PUNCT_RUN,   /* [\p{P}\$\+<=>\^~\|]+ */
};

#define MAX_SPLITS 4

/* Names as llama.cpp spells them (its llama-vocab.cpp), grouped by the
 * splits it applies for them. */
static const struct {
    const char *names; /* NUL-separated aliases, ending with an empty one */
    uint8_t ignore_merges; /* a word that is a vocab piece is taken whole */
    uint8_t n;
    uint8_t splits[MAX_SPLITS];
} pre_table[] = {
    /* What files without tokenizer.ggml.pre get. */
    {"default\0", 0, 4, {SPLIT_PUNCT_RUN, SPLIT_GPT2, SPLIT_NUMBER_RUN, SPLIT_DIGIT3}},
    {"gpt-2\0phi-2\0roberta-bpe\0jina-es\0mpt\0olmo\0jais\0", 0, 1, {SPLIT_GPT2}},
    {"smollm\0starcoder\0refact\0command-r\0codeshell\0exaone\0minerva-7b\0", 0, 2,
     {SPLIT_DIGIT_EACH, SPLIT_GPT2}},
    {"llama3\0llama-v3\0llama-bpe\0falcon3\0", 1, 1, {SPLIT_LLAMA3}},
    {"qwen2\0stablelm2\0", 0, 1, {SPLIT_QWEN2}},
};

int tok_pre_lookup(const char *name)
{
    if (!name || !*name)
        name = "default";
    for (int p = 0; p < (int)(sizeof(pre_table) / sizeof(pre_table[0])); p++)
        for (const char *a = pre_table[p].names; *a; a += strlen(a) + 1)
            if (strcmp(a, name) == 0)
                return p;
    return -1;
}

int tok_pre_ignore_merges(int pre) { return pre_table[pre].ignore_merges; }

static int is_space(const struct tok_cpts *t, uint32_t i) { return t->cls[i] & UCLASS_SPACE; }
static int is_letter(const struct tok_cpts *t, uint32_t i) { return t->cls[i] & UCLASS_LETTER; }
static int is_number(const struct tok_cpts *t, uint32_t i) { return t->cls[i] & UCLASS_NUMBER; }
/* [^\s\p{L}\p{N}] */
static int is_other(const struct tok_cpts *t, uint32_t i)
{
    return !(t->cls[i] & (UCLASS_SPACE | UCLASS_LETTER | UCLASS_NUMBER));
}
static int is_newline(const struct tok_cpts *t, uint32_t i)
{
    return t->cp[i] == '\r' || t->cp[i] == '\n';
}

static uint32_t run(const struct tok_cpts *t, uint32_t i, uint32_t e,
                    int (*in_class)(const struct tok_cpts *, uint32_t))
{
    while (i < e && in_class(t, i))
        i++;
    return i;
}

static uint32_t ascii_lower(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* 's 't 're 've 'm 'll 'd at i, optionally ignoring ASCII case. */
static uint32_t match_contraction(const struct tok_cpts *t, uint32_t i, uint32_t e, int fold)
{
    if (t->cp[i] != '\'' || i + 1 >= e)
        return i;
    uint32_t a = fold ? ascii_lower(t->cp[i + 1]) : t->cp[i + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return i + 2;
    if (i + 2 >= e)
        return i;
    uint32_t b = fold ? ascii_lower(t->cp[i + 2]) : t->cp[i + 2];
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
        return i + 3;
    return i;
}

/* \s+(?!\S)|\s+ at whitespace i: a run followed by a non-space gives that
 * last space back, so it can lead the next word. */
static uint32_t match_space_run(const struct tok_cpts *t, uint32_t i, uint32_t e)
{
    uint32_t k = run(t, i, e, is_space);
    return k < e && k - i > 1 ? k - 1 : k;
}

static uint32_t match_gpt2(const struct tok_cpts *t, uint32_t i, uint32_t e)
{
    uint32_t m = match_contraction(t, i, e, 0);
    if (m > i)
        return m;
    /* " ?" joins one U+0020 to the letter / number / other run after it. */
    uint32_t j = t->cp[i] == ' ' && i + 1 < e && !is_space(t, i + 1) ? i + 1 : i;
    if (is_letter(t, j))
        return run(t, j, e, is_letter);
    if (is_number(t, j))
        return run(t, j, e, is_number);
    if (is_other(t, j))
        return run(t, j, e, is_other);
    return match_space_run(t, i, e);
}

static uint32_t match_llama3(const struct tok_cpts *t, uint32_t i, uint32_t e, uint32_t max_digits)
{
    uint32_t m = match_contraction(t, i, e, 1);
    if (m > i)
        return m;
    /* [^\r\n\p{L}\p{N}]?\p{L}+ */
    uint32_t j = !is_letter(t, i) && !is_number(t, i) && !is_newline(t, i) && i + 1 < e &&
                         is_letter(t, i + 1)
                     ? i + 1
                     : i;
    if (is_letter(t, j))
        return run(t, j, e, is_letter);
    if (is_number(t, i)) {
        uint32_t k = i;
        while (k < e && k - i < max_digits && is_number(t, k))
            k++;
        return k;
    }
    /*  ?[^\s\p{L}\p{N}]+[\r\n]* */
    j = t->cp[i] == ' ' && i + 1 < e && is_other(t, i + 1) ? i + 1 : i;
    if (is_other(t, j))
        return run(t, run(t, j, e, is_other), e, is_newline);
    /* \s*[\r\n]+ : the whitespace run up to its last newline. */
    uint32_t k = run(t, i, e, is_space);
    for (uint32_t p = k; p > i; p--)
        if (is_newline(t, p - 1))
            return p;
    return match_space_run(t, i, e);
}

static int is_punct_run_char(const struct tok_cpts *t, uint32_t i)
{
    uint32_t c = t->cp[i];
    return (t->cls[i] & UCLASS_PUNCT) || c == '$' || c == '+' || c == '<' || c == '=' ||
           c == '>' || c == '^' || c == '~' || c == '|';
}

static int is_ascii_digit(const struct tok_cpts *t, uint32_t i)
{
    return t->cp[i] >= '0' && t->cp[i] <= '9';
}

static uint32_t match(enum splitter s, const struct tok_cpts *t, uint32_t i, uint32_t e)
{
    switch (s) {
    case SPLIT_GPT2:
        return match_gpt2(t, i, e);
    case SPLIT_LLAMA3:
        return match_llama3(t, i, e, 3);
    case SPLIT_QWEN2:
        return match_llama3(t, i, e, 1);
    case SPLIT_DIGIT_EACH:
        return is_number(t, i) ? i + 1 : i;
    case SPLIT_NUMBER_RUN:
        return run(t, i, e, is_number);
    case SPLIT_DIGIT3:
        return i + 3 <= e && is_ascii_digit(t, i) && is_ascii_digit(t, i + 1) &&
                       is_ascii_digit(t, i + 2)
                   ? i + 3
                   : i;
    case SPLIT_PUNCT_RUN:
        return run(t, i, e, is_punct_run_char);
    }
    return i;
}

struct split_ctx {
    int pre;
    const struct tok_cpts *t;
    tok_pre_emit emit;
    void *ctx;
};

/* Cuts [s, e) with split number `level`: matches and the unmatched gaps
 * between them both become pieces for the next level. */
static int split(const struct split_ctx *c, uint32_t level, uint32_t s, uint32_t e)
{
    if (level == pre_table[c->pre].n)
        return c->emit(c->ctx, c->t->off[s], c->t->off[e]);
    enum splitter sp = (enum splitter)pre_table[c->pre].splits[level];
    uint32_t gap = s;
    for (uint32_t i = s; i < e;) {
        uint32_t m = match(sp, c->t, i, e);
        if (m == i) {
            i++;
            continue;
        }
        int r;
        if (gap < i && (r = split(c, level + 1, gap, i)) != 0)
            return r;
        if ((r = split(c, level + 1, i, m)) != 0)
            return r;
        i = gap = m;
    }
    return gap < e ? split(c, level + 1, gap, e) : 0;
}

int tok_pre_split(int pre, const struct tok_cpts *t, tok_pre_emit emit, void *ctx)
{
    struct split_ctx c = {pre, t, emit, ctx};
    return t->n ? split(&c, 0, 0, t->n) : 0;
}
