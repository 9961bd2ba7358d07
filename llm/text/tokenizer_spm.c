/* tokenizer_spm.c: SentencePiece-style BPE as llama.cpp's SPM tokenizer
 * runs it (and llama2.c, its origin). The text (with a leading "dummy
 * prefix" space when the vocab asks for it, spaces as U+2581 when the vocab
 * spells them so) starts as one symbol per UTF-8 character. Adjacent
 * symbols then merge while their concatenation is a vocab piece, the
 * highest-scoring merge first (leftmost on ties): no merge list is needed,
 * so a 262k-piece vocab costs one hash lookup per candidate pair. A symbol
 * left without a piece of its own (a character the vocab lacks) becomes its
 * <0xNN> byte tokens. */
#include "platform.h"
#include "text/tokenizer_internal.h"

static const char SPM_SPACE[] = "\xe2\x96\x81"; /* U+2581, SentencePiece's space */

/* Maps a float to an unsigned key with the same order. */
static uint32_t float_order(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof(u));
    return u & 0x80000000u ? ~u : u | 0x80000000u;
}

/* Whether plain text may produce this piece: never a control (or unknown,
 * unused) token. */
static int producible(const tokenizer *tok, int32_t id)
{
    return tok->types[id] == TOK_TYPE_NORMAL || tok->types[id] == TOK_TYPE_USER_DEFINED;
}

int tok_spm_init(tokenizer *tok, const float *scores, int add_space_prefix, char *err,
                 size_t errlen)
{
    if (!scores) {
        tok_seterr(err, errlen, "tokenizer: SentencePiece vocabulary without scores");
        return -1;
    }
    tok->scores = tok_calloc(tok->n_vocab, sizeof(float));
    if (!tok->scores) {
        tok_seterr(err, errlen, "tokenizer: out of memory for scores");
        return -1;
    }
    for (uint32_t i = 0; i < tok->n_vocab; i++)
        tok->scores[i] = scores[i] == scores[i] ? scores[i] : -3.4e38f; /* NaN ranks last */
    tok->add_space_prefix = add_space_prefix != 0;
    return 0;
}

void tok_spm_lookups(tokenizer *tok)
{
    tok->escape_spaces = tok_find(tok, SPM_SPACE, 3) >= 0;
    for (int b = 0; b < 256; b++) {
        char piece[8];
        snprintf(piece, sizeof(piece), "<0x%02X>", b);
        int32_t id = tok_find(tok, piece, 6);
        tok->byte_tok[b] = id >= 0 && tok->types[id] == TOK_TYPE_BYTE ? id : -1;
    }
}

/* The id of a symbol whose character the vocab lacks (or has only as a
 * piece text cannot produce): it may still merge with its neighbours, and
 * falls back to bytes if it never does. */
#define NO_PIECE(tok) ((int32_t)(tok)->n_vocab)

static int spm_pair(const tokenizer *tok, const uint8_t *text, const struct tok_sym *l,
                    const struct tok_sym *r, uint32_t *rank, int32_t *result)
{
    /* Adjacent symbols are adjacent text, so the merged piece is a slice. */
    int32_t id = tok_find(tok, (const char *)text + l->start, l->len + r->len);
    if (id < 0 || !producible(tok, id))
        return 0;
    *rank = ~float_order(tok->scores[id]); /* best score = lowest rank */
    *result = id;
    return 1;
}

/* Bytes of the UTF-8 character a lead byte starts, counted as llama.cpp
 * counts them: from its top four bits, without checking what follows (a
 * broken sequence stays one symbol and falls back to its bytes). */
static uint32_t utf8_lead_len(uint8_t b)
{
    static const uint8_t len[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return len[b >> 4];
}

static int emit(int32_t *out, uint32_t max_ids, uint32_t *n, int32_t id)
{
    if (id < 0)
        return 0; /* a byte the vocab has no token for: dropped */
    if (*n == max_ids)
        return TOK_ERR_TOO_MANY;
    out[(*n)++] = id;
    return 0;
}

int32_t tok_spm_encode(const tokenizer *tok, const char *text, uint32_t len, int32_t *out,
                       uint32_t max_ids)
{
    if (len == 0)
        return 0;
    /* The text as the vocab spells it: dummy prefix, spaces maybe as U+2581. */
    uint32_t width = tok->escape_spaces ? 3 : 1;
    uint32_t cap = (len + 1) * width;
    if (cap / width != len + 1)
        return TOK_ERR_TOO_MANY;
    uint8_t *buf = tok_calloc(cap, 1);
    struct tok_sym *syms = tok_calloc(cap, sizeof(struct tok_sym));
    struct tok_cand *heap = tok_calloc(cap, 3 * sizeof(struct tok_cand));
    int32_t rc = TOK_ERR_NOMEM;
    if (buf && syms && heap) {
        uint32_t n = 0;
        for (uint32_t i = tok->add_space_prefix ? 0 : 1; i <= len; i++) {
            char c = i ? text[i - 1] : ' ';
            if (c == ' ' && tok->escape_spaces) {
                memcpy(buf + n, SPM_SPACE, 3);
                n += 3;
            } else {
                buf[n++] = (uint8_t)c;
            }
        }
        int32_t ns = 0;
        for (uint32_t i = 0; i < n; ns++) {
            uint32_t k = utf8_lead_len(buf[i]);
            if (k > n - i)
                k = n - i;
            int32_t id = tok_find(tok, (const char *)buf + i, k);
            struct tok_sym v = {id >= 0 && producible(tok, id) ? id : NO_PIECE(tok), ns - 1, ns + 1, i, k};
            syms[ns] = v;
            i += k;
        }
        syms[ns - 1].next = -1;
        tok_merge_symbols(tok, buf, syms, ns, heap, spm_pair);
        uint32_t n_out = 0;
        rc = 0;
        for (int32_t s = 0; s >= 0 && rc == 0; s = syms[s].next) {
            if (syms[s].id != NO_PIECE(tok)) {
                rc = emit(out, max_ids, &n_out, syms[s].id);
                continue;
            }
            for (uint32_t j = 0; j < syms[s].len && rc == 0; j++) /* byte fallback */
                rc = emit(out, max_ids, &n_out, tok->byte_tok[buf[syms[s].start + j]]);
        }
        if (rc == 0)
            rc = (int32_t)n_out;
    }
    llm_free(buf);
    llm_free(syms);
    llm_free(heap);
    return rc;
}

uint32_t tok_spm_piece_bytes(const tokenizer *tok, int32_t id, uint8_t *out, uint32_t cap)
{
    const char *p = tok->text + tok->offs[id];
    uint32_t len = tok->offs[id + 1] - tok->offs[id];
    int type = tok->types[id];
    if (type == TOK_TYPE_CONTROL || type == TOK_TYPE_UNKNOWN || type == TOK_TYPE_UNUSED)
        return 0;
    if (type == TOK_TYPE_BYTE) {
        for (int b = 0; b < 256; b++)
            if (tok->byte_tok[b] == id && cap) {
                out[0] = (uint8_t)b;
                return 1;
            }
    }
    if (type == TOK_TYPE_USER_DEFINED) { /* as it is, U+2581 included (llama.cpp) */
        len = len < cap ? len : cap;
        memcpy(out, p, len);
        return len;
    }
    uint32_t w = 0;
    for (uint32_t i = 0; i < len && w < cap;) {
        if (tok->escape_spaces && len - i >= 3 && memcmp(p + i, SPM_SPACE, 3) == 0) {
            out[w++] = ' ';
            i += 3;
        } else {
            out[w++] = (uint8_t)p[i++];
        }
    }
    return w;
}
