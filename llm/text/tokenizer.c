/* tokenizer.c: the parts every tokenizer family shares: the vocab copy and its
 * piece -> id hash, lookups, BOS/EOS, and streaming UTF-8-safe decoding. The
 * encoders live in tokenizer_bpe.c and tokenizer_spm.c. */
#include "text/tokenizer_internal.h"
#include "bytes.h"
#include "params.h"
#include "platform.h"

/* Largest vocab accepted: far above any real model, and small enough that no
 * table size computed from it can overflow a 32-bit size_t. */

void tok_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void *tok_calloc(size_t n, size_t size)
{
    if (size != 0 && n > (size_t)-1 / size)
        return NULL;
    size_t bytes = n * size;
    void *p = llm_alloc(bytes ? bytes : 1, 16);
    if (p)
        memset(p, 0, bytes);
    return p;
}

/* One multiply-xorshift step per 4 bytes (the xorshift brings the high
 * bits down to the slot bits), then one per byte of the rest: a vocabulary
 * of 262,144 pieces is hashed at every load, and under emulation a
 * multiply per byte (FNV-1a) was most of building the table. */
static uint32_t mix(uint32_t h, uint32_t word)
{
    h = (h ^ word) * 0x9e3779b1u;
    return h ^ (h >> 15);
}

static uint32_t hash_bytes(const char *s, uint32_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    uint32_t h = 2166136261u ^ len, i = 0;
    for (; i + 4 <= len; i += 4)
        h = mix(h, le32(p + i));
    for (; i < len; i++)
        h = mix(h, p[i]);
    return h;
}

/* A used slot of the piece -> id table: the id in the low SLOT_ID_BITS
 * bits, above them the top bits of the piece's hash, which the slot's index
 * (its low bits) does not use. A probe then passes over nearly every other
 * piece without reading its offset and text: under emulation each of those
 * reads, at random in megabytes, is a software TLB miss, and building
 * Gemma 3's table of 262,144 pieces was mostly such misses. */
#define SLOT_ID_BITS 20
_Static_assert(LLM_MAX_VOCAB <= 1u << SLOT_ID_BITS, "token ids fit a slot's id bits");

static uint32_t slot_tag(uint32_t hash)
{
    return hash >> (SLOT_ID_BITS + 1); /* bit 31 of a slot stays clear: used slots are >= 0 */
}

static int32_t slot_make(uint32_t hash, uint32_t id)
{
    return (int32_t)(slot_tag(hash) << SLOT_ID_BITS | id);
}

static int32_t slot_id(int32_t slot)
{
    return slot & (int32_t)((1u << SLOT_ID_BITS) - 1);
}

static int slot_may_hold(int32_t slot, uint32_t hash)
{
    return (uint32_t)slot >> SLOT_ID_BITS == slot_tag(hash);
}

static llm_str piece_of(const tokenizer *tok, int32_t id)
{
    llm_str s = {tok->text + tok->offs[id], tok->offs[id + 1] - tok->offs[id]};
    return s;
}

int tok_piece_is(const tokenizer *tok, int32_t id, const char *s, uint32_t len)
{
    llm_str p = piece_of(tok, id);
    return p.len == len && memcmp(p.ptr, s, len) == 0;
}

/* The slot holding piece s[0..len) (its hash given), or the free slot
 * where its probe sequence ends. */
static uint32_t probe(const tokenizer *tok, const char *s, uint32_t len, uint32_t hash)
{
    uint32_t h = hash & tok->hash_mask;
    while (tok->hash[h] >= 0 &&
           !(slot_may_hold(tok->hash[h], hash) && tok_piece_is(tok, slot_id(tok->hash[h]), s, len)))
        h = (h + 1) & tok->hash_mask;
    return h;
}

int32_t tok_find(const tokenizer *tok, const char *s, uint32_t len)
{
    int32_t slot = tok->hash[probe(tok, s, len, hash_bytes(s, len))];
    return slot < 0 ? -1 : slot_id(slot);
}

/* Whether s[0..len) is "<0xNN>": the SentencePiece spelling of a raw byte. */
static int byte_piece_value(const char *s, uint32_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    if (len != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>')
        return -1;
    int v = 0;
    for (int i = 3; i < 5; i++) {
        int d = 0;
        while (d < 16 && hex[d] != s[i])
            d++;
        if (d == 16)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* The piece -> id table: a power of two, at most half full. */
static uint32_t hash_slots(uint32_t n_vocab)
{
    uint32_t hsize = 1;
    while (hsize < 2 * n_vocab)
        hsize <<= 1;
    return hsize;
}

uint64_t tok_bytes(int bpe, uint32_t n_vocab, uint64_t text_bytes, uint32_t n_merges, uint32_t longest_merge)
{
    /* tok_alloc_vocab's copies, then tok_bpe_init's merge table and joining
     * buffer, or tok_spm_init's scores. */
    uint64_t bytes = sizeof(tokenizer) + text_bytes + ((uint64_t)n_vocab + 1) * sizeof(uint32_t) + n_vocab +
                     (uint64_t)hash_slots(n_vocab) * sizeof(int32_t);
    if (bpe)
        return bytes + (uint64_t)tok_merge_slots(n_merges) * sizeof(struct tok_merge) + longest_merge + 1;
    return bytes + (uint64_t)n_vocab * sizeof(float);
}

tokenizer *tok_alloc_vocab(enum tok_kind kind, const llm_str *tokens, const int32_t *types,
                           uint32_t n_vocab, char *err, size_t errlen)
{
    if (!tokens || n_vocab == 0) {
        tok_seterr(err, errlen, "tokenizer: empty vocabulary");
        return NULL;
    }
    if (n_vocab > LLM_MAX_VOCAB) {
        tok_seterr(err, errlen, "tokenizer: vocabulary of %u tokens is too large", n_vocab);
        return NULL;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < n_vocab; i++) {
        if (!tokens[i].ptr && tokens[i].len) {
            tok_seterr(err, errlen, "tokenizer: token %u has no text", i);
            return NULL;
        }
        total += tokens[i].len;
    }
    if (total > 0x7fffffffu) {
        tok_seterr(err, errlen, "tokenizer: vocabulary text too large");
        return NULL;
    }
    tokenizer *tok = tok_calloc(1, sizeof(*tok));
    if (!tok)
        goto oom;
    tok->kind = kind;
    tok->n_vocab = n_vocab;
    tok->bos = tok->eos = -1;
    uint32_t hsize = hash_slots(n_vocab);
    tok->hash_mask = hsize - 1;
    tok->text = tok_calloc((size_t)total, 1);
    tok->offs = tok_calloc((size_t)n_vocab + 1, sizeof(uint32_t));
    tok->types = tok_calloc(n_vocab, 1);
    tok->hash = tok_calloc(hsize, sizeof(int32_t));
    if (!tok->text || !tok->offs || !tok->types || !tok->hash)
        goto oom;
    uint32_t off = 0;
    for (uint32_t i = 0; i < n_vocab; i++) {
        memcpy(tok->text + off, tokens[i].ptr, tokens[i].len);
        tok->offs[i] = off;
        off += tokens[i].len;
        tok->offs[i + 1] = off;
        if (tokens[i].len > tok->max_piece_bytes)
            tok->max_piece_bytes = tokens[i].len;
        int32_t t = types ? types[i] : TOK_TYPE_NORMAL;
        if (t < TOK_TYPE_NORMAL || t > TOK_TYPE_BYTE)
            t = TOK_TYPE_NORMAL;
        /* Without types (llama2.c), byte pieces are recognised by spelling. */
        if (!types && byte_piece_value(tokens[i].ptr, tokens[i].len) >= 0)
            t = TOK_TYPE_BYTE;
        tok->types[i] = (uint8_t)t;
    }
    for (int b = 0; b < 256; b++)
        tok->byte_tok[b] = -1;
    tok_user_init(tok);
    return tok;
oom:
    tok_free(tok);
    tok_seterr(err, errlen, "tokenizer: out of memory for a %u-token vocabulary", n_vocab);
    return NULL;
}

/* The piece -> id table from the vocabulary's copy. The first of duplicate
 * pieces wins: one walk of the probe sequence finds an equal piece or the
 * free slot. */
static void build_hash(tokenizer *tok)
{
    memset(tok->hash, 0xff, (size_t)(tok->hash_mask + 1) * sizeof(int32_t));
    tok->unique = 1;
    for (uint32_t i = 0; i < tok->n_vocab; i++) {
        llm_str p = piece_of(tok, (int32_t)i);
        uint32_t hash = hash_bytes(p.ptr, p.len), h = probe(tok, p.ptr, p.len, hash);
        if (tok->hash[h] < 0)
            tok->hash[h] = slot_make(hash, i);
        else
            tok->unique = 0;
    }
}

/* Whether a hash read back can be used: every id in range and a free slot
 * left (tok_find stops at one). */
static int hash_usable(const tokenizer *tok)
{
    uint32_t free_slots = 0;
    for (uint32_t h = 0; h <= tok->hash_mask; h++) {
        if (tok->hash[h] < 0)
            free_slots++;
        else if ((uint32_t)slot_id(tok->hash[h]) >= tok->n_vocab)
            return 0;
    }
    return free_slots > 0;
}

static void family_lookups(tokenizer *tok)
{
    if (tok->kind == TOK_KIND_BPE)
        tok_bpe_lookups(tok);
    else
        tok_spm_lookups(tok);
}

void tok_tables(const tokenizer *tok, struct tok_table out[TOK_TABLES])
{
    out[0] = (struct tok_table){ tok->hash, (uint64_t)(tok->hash_mask + 1) * sizeof(int32_t) };
    out[1] = tok->kind == TOK_KIND_BPE
                 ? (struct tok_table){ tok->merges, (uint64_t)(tok->merge_mask + 1) * sizeof(struct tok_merge) }
                 : (struct tok_table){ NULL, 0 };
}

int tok_adopt_tables(tokenizer *tok)
{
    if (!hash_usable(tok) || (tok->kind == TOK_KIND_BPE && !tok_bpe_merges_usable(tok)))
        return -1;
    /* Only building the merge table asks whether pieces repeat. */
    tok->unique = 0;
    family_lookups(tok);
    return 0;
}

int tok_build_tables(tokenizer *tok, const llm_str *merges, uint32_t n_merges, char *err, size_t errlen)
{
    build_hash(tok);
    if (tok->kind == TOK_KIND_BPE && tok_bpe_build_merges(tok, merges, n_merges, err, errlen) != 0)
        return -1;
    family_lookups(tok);
    return 0;
}

tokenizer *tok_create_bpe(const llm_str *tokens, const int32_t *types, uint32_t n_vocab,
                          const llm_str *merges, uint32_t n_merges, const char *pre_name, int deferred,
                          char *err, size_t errlen)
{
    tokenizer *tok = tok_alloc_vocab(TOK_KIND_BPE, tokens, types, n_vocab, err, errlen);
    if (tok && (tok_bpe_init(tok, n_merges, pre_name, err, errlen) != 0 ||
                (!deferred && tok_build_tables(tok, merges, n_merges, err, errlen) != 0))) {
        tok_free(tok);
        return NULL;
    }
    return tok;
}

tokenizer *tok_create_spm(const llm_str *tokens, const float *scores, const int32_t *types,
                          uint32_t n_vocab, int add_space_prefix, int deferred, char *err, size_t errlen)
{
    tokenizer *tok = tok_alloc_vocab(TOK_KIND_SPM, tokens, types, n_vocab, err, errlen);
    if (tok) {
        tok->bos = n_vocab > 1 ? 1 : -1;
        tok->eos = n_vocab > 2 ? 2 : -1;
        /* Without types (llama2.c's tokenizer.bin), SentencePiece's fixed
         * layout applies: 0 <unk>, 1 <s>, 2 </s>. */
        for (uint32_t i = 0; !types && i < 3 && i < n_vocab; i++)
            tok->types[i] = i == 0 ? TOK_TYPE_UNKNOWN : TOK_TYPE_CONTROL;
        if (tok_spm_init(tok, scores, add_space_prefix, err, errlen) != 0 ||
            (!deferred && tok_build_tables(tok, NULL, 0, err, errlen) != 0)) {
            tok_free(tok);
            return NULL;
        }
    }
    return tok;
}

void tok_free(tokenizer *tok)
{
    if (!tok)
        return;
    llm_free(tok->text);
    llm_free(tok->offs);
    llm_free(tok->types);
    llm_free(tok->hash);
    llm_free(tok->merges);
    llm_free(tok->scores);
    llm_free(tok);
}

int tok_set_special(tokenizer *tok, int32_t bos, int32_t eos)
{
    if (bos < -1 || eos < -1 || bos >= (int32_t)tok->n_vocab || eos >= (int32_t)tok->n_vocab)
        return -1;
    tok->bos = bos;
    tok->eos = eos;
    return 0;
}

int32_t tok_bos(const tokenizer *tok) { return tok->bos; }
int32_t tok_eos(const tokenizer *tok) { return tok->eos; }
uint32_t tok_n_vocab(const tokenizer *tok) { return tok->n_vocab; }
uint32_t tok_max_piece_bytes(const tokenizer *tok) { return tok->max_piece_bytes; }

int tok_type(const tokenizer *tok, int32_t id)
{
    return id < 0 || (uint32_t)id >= tok->n_vocab ? -1 : tok->types[id];
}

int32_t tok_lookup(const tokenizer *tok, const char *piece)
{
    return piece ? tok_find(tok, piece, (uint32_t)strlen(piece)) : -1;
}

/* Plain text without user-defined tokens, by the vocab's family. */
static int32_t encode_text(const tokenizer *tok, const char *text, uint32_t len, int32_t *out_ids,
                           uint32_t max_ids)
{
    if (tok->kind == TOK_KIND_BPE)
        return tok_bpe_encode(tok, text, len, out_ids, max_ids);
    return tok_spm_encode(tok, text, len, out_ids, max_ids);
}

int32_t tok_encode(const tokenizer *tok, const char *text, uint32_t len, int32_t *out_ids,
                   uint32_t max_ids)
{
    if (!tok || (!text && len) || (!out_ids && max_ids))
        return TOK_ERR_INVALID;
    if (len > 0x7ffffff0u)
        return TOK_ERR_TOO_MANY;
    if (tok->n_user == 0 || len == 0)
        return encode_text(tok, text, len, out_ids, max_ids);
    /* The user-defined tokens first; each run of text between them is
     * encoded on its own (as llama.cpp does: a SentencePiece vocab's space
     * prefix goes before every run). */
    int32_t *marks = tok_calloc(len, sizeof(int32_t));
    if (!marks)
        return TOK_ERR_NOMEM;
    tok_user_split(tok, text, len, marks);
    uint32_t n = 0;
    int32_t rc = 0;
    for (uint32_t i = 0; i < len && rc == 0;) {
        uint32_t j = i + 1;
        if (marks[i] >= 0) {
            if (n == max_ids)
                rc = TOK_ERR_TOO_MANY;
            else
                out_ids[n++] = marks[i];
            while (j < len && marks[j] == TOK_MARK_INSIDE)
                j++;
        } else {
            while (j < len && marks[j] == TOK_MARK_TEXT)
                j++;
            int32_t got = encode_text(tok, text + i, j - i, out_ids + n, max_ids - n);
            if (got < 0)
                rc = got;
            else
                n += (uint32_t)got;
        }
        i = j;
    }
    llm_free(marks);
    return rc < 0 ? rc : (int32_t)n;
}

/* UTF-8 structure: returns the length of the complete valid sequence at
 * s[0..len), 0 if s is a valid but unfinished start of one, -1 if s[0] can
 * not start a valid sequence there (then it stands alone). */
static int utf8_scan(const uint8_t *s, uint32_t len, uint32_t *cp)
{
    uint8_t b = s[0];
    int need;
    uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
        need = 2;
        *cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
        need = 3;
        *cp = b & 0x0f;
        if (b == 0xe0)
            lo = 0xa0; /* no overlong forms */
        if (b == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (b >= 0xf0 && b <= 0xf4) {
        need = 4;
        *cp = b & 0x07;
        if (b == 0xf0)
            lo = 0x90;
        if (b == 0xf4)
            hi = 0x8f; /* nothing above U+10FFFF */
    } else {
        return -1;
    }
    for (int i = 1; i < need; i++) {
        if ((uint32_t)i >= len)
            return 0;
        uint8_t c = s[i];
        if (c < (i == 1 ? lo : 0x80) || c > (i == 1 ? hi : 0xbf))
            return -1;
        *cp = (*cp << 6) | (c & 0x3f);
    }
    return need;
}

uint32_t tok_utf8_next(const uint8_t *s, uint32_t len, uint32_t *cp)
{
    int n = utf8_scan(s, len, cp);
    if (n > 0)
        return (uint32_t)n;
    *cp = 0xfffd;
    return 1;
}

void tok_stream_init(tok_stream *s, const tokenizer *tok)
{
    s->tok = tok;
    s->prev = -1;
    s->n_held = 0;
}

int32_t tok_stream_push(tok_stream *s, int32_t id, char *out, uint32_t cap)
{
    const tokenizer *tok = s->tok;
    if (id < 0 || (uint32_t)id >= tok->n_vocab || !out)
        return TOK_ERR_INVALID;
    uint32_t raw = tok->offs[id + 1] - tok->offs[id];
    if (cap < s->n_held + raw)
        return TOK_ERR_TOO_MANY;
    /* Held bytes first, then the token's text, then release everything up
     * to a trailing unfinished sequence. */
    memcpy(out, s->held, s->n_held);
    uint8_t *u = (uint8_t *)out;
    uint32_t n = s->n_held;
    uint32_t added = tok->kind == TOK_KIND_BPE ? tok_bpe_piece_bytes(tok, id, u + n, cap - n)
                                               : tok_spm_piece_bytes(tok, id, u + n, cap - n);
    /* SentencePiece marks word starts with a space; llama2.c drops it from
     * the first piece after BOS. */
    if (tok->kind == TOK_KIND_SPM && s->prev >= 0 && s->prev == tok->bos && added &&
        u[n] == ' ') {
        memmove(u + n, u + n + 1, added - 1);
        added--;
    }
    n += added;
    s->prev = id;
    uint32_t i = 0;
    while (i < n) {
        uint32_t cp;
        int k = utf8_scan(u + i, n - i, &cp);
        if (k == 0)
            break;
        i += k > 0 ? (uint32_t)k : 1;
    }
    s->n_held = n - i;
    memcpy(s->held, u + i, s->n_held);
    return (int32_t)i;
}

int32_t tok_stream_flush(tok_stream *s, char *out, uint32_t cap)
{
    if (!out)
        return TOK_ERR_INVALID;
    if (cap < s->n_held)
        return TOK_ERR_TOO_MANY;
    uint32_t n = s->n_held;
    memcpy(out, s->held, n);
    s->n_held = 0;
    return (int32_t)n;
}

int32_t tok_decode(const tokenizer *tok, const int32_t *ids, uint32_t n_ids, char *out,
                   uint32_t cap)
{
    if (!tok || (!ids && n_ids) || !out)
        return TOK_ERR_INVALID;
    tok_stream s;
    tok_stream_init(&s, tok);
    uint32_t w = 0;
    for (uint32_t i = 0; i <= n_ids; i++) {
        int32_t r = i < n_ids ? tok_stream_push(&s, ids[i], out + w, cap - w)
                              : tok_stream_flush(&s, out + w, cap - w);
        if (r < 0)
            return r;
        w += (uint32_t)r;
    }
    return (int32_t)w;
}
