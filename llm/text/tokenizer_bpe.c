/* tokenizer_bpe.c: GPT-2 byte-level BPE. Text is cut into words by the
 * pre-tokenizer, each byte of a word becomes the vocab piece of its GPT-2
 * "printable" character, and adjacent pieces merge by merge rank (lowest
 * first, leftmost among equals) until no rule applies. */
#include "platform.h"
#include "params.h"
#include "text/tokenizer_internal.h"
#include "text/tokenizer_pre.h"
#include "text/unicode_tables.h"

/* GPT-2 shows bytes as characters: printable Latin-1 bytes as themselves,
 * the other 68 (0..32, 127..160, 173) as U+0100.. in byte order. */
static uint32_t byte_to_cp(uint32_t b)
{
    if (b <= 32)
        return 256 + b;
    if (b >= 127 && b <= 160)
        return 256 + 33 + (b - 127);
    if (b == 173)
        return 256 + 67;
    return b;
}

/* The byte a GPT-2 character stands for, or -1. */
static int cp_to_byte(uint32_t cp)
{
    if (cp < 256)
        return byte_to_cp(cp) == cp ? (int)cp : -1;
    uint32_t n = cp - 256;
    if (n < 33)
        return (int)n;
    if (n < 67)
        return (int)(127 + n - 33);
    return n == 67 ? 173 : -1;
}

static uint32_t utf8_put(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    out[0] = (uint8_t)(0xc0 | (cp >> 6));
    out[1] = (uint8_t)(0x80 | (cp & 0x3f));
    return 2; /* GPT-2 characters stay below U+0800 */
}

static uint32_t merge_slot(uint32_t left, uint32_t right, uint32_t mask)
{
    uint32_t h = left * 0x9e3779b1u ^ (right + 0x7f4a7c15u) * 0x85ebca77u;
    return (h ^ (h >> 15)) & mask;
}

static const struct tok_merge *find_merge(const tokenizer *tok, int32_t left, int32_t right)
{
    for (uint32_t h = merge_slot((uint32_t)left, (uint32_t)right, tok->merge_mask);;
         h = (h + 1) & tok->merge_mask) {
        const struct tok_merge *m = &tok->merges[h];
        if (m->left < 0)
            return NULL;
        if (m->left == left && m->right == right)
            return m;
    }
}


uint32_t tok_merge_slots(uint32_t n_merges)
{
    uint32_t size = 2;
    while (size < 2 * n_merges)
        size <<= 1;
    return size;
}

int tok_bpe_init(tokenizer *tok, uint32_t n_merges, const char *pre_name, char *err, size_t errlen)
{
    tok->pre = tok_pre_lookup(pre_name);
    if (tok->pre < 0) {
        tok_seterr(err, errlen, "tokenizer: unsupported pre-tokenizer '%s'", pre_name);
        return -1;
    }
    if (n_merges > LLM_MAX_MERGES) {
        tok_seterr(err, errlen, "tokenizer: invalid merge list (%u merges)", n_merges);
        return -1;
    }
    uint32_t size = tok_merge_slots(n_merges);
    tok->n_merges = n_merges;
    tok->merge_mask = size - 1;
    tok->merges = tok_calloc(size, sizeof(struct tok_merge));
    if (!tok->merges) {
        tok_seterr(err, errlen, "tokenizer: out of memory for %u merges", n_merges);
        return -1;
    }
    return 0;
}

void tok_bpe_lookups(tokenizer *tok)
{
    for (uint32_t b = 0; b < 256; b++) {
        uint8_t u[2];
        int32_t id = tok_find(tok, (const char *)u, utf8_put(byte_to_cp(b), u));
        tok->byte_tok[b] = id >= 0 && tok->types[id] == TOK_TYPE_NORMAL ? id : -1;
    }
}

int tok_bpe_merges_usable(const tokenizer *tok)
{
    uint32_t free_slots = 0;
    for (uint32_t h = 0; h <= tok->merge_mask; h++) {
        const struct tok_merge *m = &tok->merges[h];
        if (m->left < 0)
            free_slots++;
        else if ((uint32_t)m->right >= tok->n_vocab || (uint32_t)m->left >= tok->n_vocab ||
                 (uint32_t)m->result >= tok->n_vocab || m->rank < 0)
            return 0;
    }
    return free_slots > 0; /* find_merge stops at a free slot */
}

int tok_bpe_build_merges(tokenizer *tok, const llm_str *merges, uint32_t n_merges, char *err, size_t errlen)
{
    if ((!merges && n_merges) || n_merges != tok->n_merges) {
        tok_seterr(err, errlen, "tokenizer: invalid merge list (%u merges)", n_merges);
        return -1;
    }
    uint32_t longest = 0;
    for (uint32_t i = 0; i < n_merges; i++)
        if (merges[i].len > longest)
            longest = merges[i].len;
    if (longest > 0xffffu) { /* no vocab piece is near this long */
        tok_seterr(err, errlen, "tokenizer: merge of %u bytes", longest);
        return -1;
    }
    char *joined = tok_calloc(longest + 1, 1);
    if (!joined) {
        tok_seterr(err, errlen, "tokenizer: out of memory for %u merges", n_merges);
        return -1;
    }
    memset(tok->merges, 0xff, (size_t)(tok->merge_mask + 1) * sizeof(struct tok_merge));

    int rc = 0;
    /* In GPT-2-style vocabularies the pieces after the bytes come in merge
     * order (Qwen2's merge i makes piece 256 + i), so the piece after the
     * last rule's result is tried before a lookup: under emulation the
     * lookups, each a few random memory accesses, were most of this. */
    int32_t next = -1;
    for (uint32_t i = 0; i < n_merges; i++) {
        const char *s = merges[i].ptr;
        uint32_t len = s ? merges[i].len : 0, sp = 1;
        /* "left right": the first space after the first byte separates them
         * (a piece may itself start with a space in some vocabs). */
        while (sp < len && s[sp] != ' ')
            sp++;
        if (sp + 1 >= len) {
            tok_seterr(err, errlen, "tokenizer: malformed merge %u", i);
            rc = -1;
            break;
        }
        memcpy(joined, s, sp);
        memcpy(joined + sp, s + sp + 1, len - sp - 1);
        int32_t left = tok_find(tok, s, sp);
        int32_t right = tok_find(tok, s + sp + 1, len - sp - 1);
        int guessed = tok->unique && next >= 0 && (uint32_t)next < tok->n_vocab &&
                      tok_piece_is(tok, next, joined, len - 1);
        int32_t result = guessed ? next : tok_find(tok, joined, len - 1);
        next = result >= 0 ? result + 1 : -1;
        /* Rules about pieces outside the vocab can never apply, and merging
         * into a control piece would let plain text produce it. */
        if (left < 0 || right < 0 || result < 0 || tok->types[result] != TOK_TYPE_NORMAL)
            continue;
        uint32_t h = merge_slot((uint32_t)left, (uint32_t)right, tok->merge_mask);
        while (tok->merges[h].left >= 0 &&
               !(tok->merges[h].left == left && tok->merges[h].right == right))
            h = (h + 1) & tok->merge_mask;
        if (tok->merges[h].left < 0) { /* the first rule for a pair wins */
            struct tok_merge m = {left, right, (int32_t)i, result};
            tok->merges[h] = m;
        }
    }
    llm_free(joined);
    return rc;
}

static int bpe_pair(const tokenizer *tok, const uint8_t *text, const struct tok_sym *l,
                    const struct tok_sym *r, uint32_t *rank, int32_t *result)
{
    (void)text;
    const struct tok_merge *m = find_merge(tok, l->id, r->id);
    if (!m)
        return 0;
    *rank = (uint32_t)m->rank;
    *result = m->result;
    return 1;
}

struct bpe_ctx {
    const tokenizer *tok;
    const uint8_t *text;
    struct tok_sym *syms;
    struct tok_cand *heap;
    uint8_t *spelled; /* room for a word in GPT-2 characters, when ignore_merges */
    int32_t *out;
    uint32_t max_ids, n_out;
};

/* The vocab id of the word as a whole, or -1. */
static int32_t whole_word(const struct bpe_ctx *c, uint32_t start, uint32_t end)
{
    uint32_t n = 0;
    for (uint32_t i = start; i < end; i++)
        n += utf8_put(byte_to_cp(c->text[i]), c->spelled + n);
    int32_t id = tok_find(c->tok, (const char *)c->spelled, n);
    return id >= 0 && c->tok->types[id] == TOK_TYPE_NORMAL ? id : -1;
}

/* BPE over one word (bytes [start, end) of the text), appending its ids. */
static int bpe_word(void *ctx, uint32_t start, uint32_t end)
{
    struct bpe_ctx *c = ctx;
    struct tok_sym *s = c->syms;
    int32_t n = (int32_t)(end - start);
    int32_t whole = c->spelled ? whole_word(c, start, end) : -1;
    if (whole >= 0) {
        if (c->n_out == c->max_ids)
            return TOK_ERR_TOO_MANY;
        c->out[c->n_out++] = whole;
        return 0;
    }
    for (int32_t k = 0; k < n; k++) {
        uint32_t at = start + (uint32_t)k;
        struct tok_sym v = {c->tok->byte_tok[c->text[at]], k - 1, k + 1 < n ? k + 1 : -1, at, 1};
        s[k] = v;
    }
    tok_merge_symbols(c->tok, c->text, s, n, c->heap, bpe_pair);
    return tok_emit_symbols(s, n, c->out, c->max_ids, &c->n_out);
}

int32_t tok_bpe_encode(const tokenizer *tok, const char *text, uint32_t len, int32_t *out,
                       uint32_t max_ids)
{
    if (len == 0)
        return 0;
    /* Scratch proportional to the text: code points for the pre-tokenizer,
     * symbols and merge candidates (at most 3 per byte) for BPE. */
    uint32_t *cp = tok_calloc(len, sizeof(uint32_t));
    uint32_t *off = tok_calloc((size_t)len + 1, sizeof(uint32_t));
    uint8_t *cls = tok_calloc(len, 1);
    struct tok_sym *syms = tok_calloc(len, sizeof(struct tok_sym));
    struct tok_cand *heap = tok_calloc((size_t)len, 3 * sizeof(struct tok_cand));
    int ignore_merges = tok_pre_ignore_merges(tok->pre);
    uint8_t *spelled = ignore_merges ? tok_calloc(len, 2) : NULL;
    int32_t rc = TOK_ERR_NOMEM;
    if (cp && off && cls && syms && heap && (spelled || !ignore_merges)) {
        const uint8_t *u = (const uint8_t *)text;
        uint32_t n = 0;
        for (uint32_t i = 0; i < len; n++) {
            off[n] = i;
            i += tok_utf8_next(u + i, len - i, &cp[n]);
            cls[n] = (uint8_t)unicode_class(cp[n]);
        }
        off[n] = len;
        struct tok_cpts t = {n, cp, cls, off};
        struct bpe_ctx c = {tok, u, syms, heap, spelled, out, max_ids, 0};
        rc = tok_pre_split(tok->pre, &t, bpe_word, &c);
        if (rc == 0)
            rc = (int32_t)c.n_out;
    }
    llm_free(cp);
    llm_free(off);
    llm_free(cls);
    llm_free(syms);
    llm_free(heap);
    llm_free(spelled);
    return rc;
}

uint32_t tok_bpe_piece_bytes(const tokenizer *tok, int32_t id, uint8_t *out, uint32_t cap)
{
    const uint8_t *p = (const uint8_t *)tok->text + tok->offs[id];
    uint32_t len = tok->offs[id + 1] - tok->offs[id];
    int type = tok->types[id];
    if (type == TOK_TYPE_CONTROL || type == TOK_TYPE_UNKNOWN || type == TOK_TYPE_UNUSED)
        return 0;
    if (len > cap)
        len = cap;
    if (type == TOK_TYPE_USER_DEFINED) {
        memcpy(out, p, len);
        return len;
    }
    /* Each GPT-2 character is one byte; anything else is copied as it is. */
    uint32_t w = 0;
    for (uint32_t i = 0; i < len;) {
        uint32_t c;
        uint32_t k = tok_utf8_next(p + i, len - i, &c);
        int b = cp_to_byte(c);
        if (b >= 0)
            out[w++] = (uint8_t)b;
        else
            for (uint32_t j = 0; j < k; j++)
                out[w++] = p[i + j];
        i += k;
    }
    return w;
}
