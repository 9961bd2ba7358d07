/* tokenizer_spm.c: SentencePiece-style BPE as llama2.c runs it. The text
 * (with a leading "dummy prefix" space) starts as one symbol per UTF-8
 * character; a character missing from the vocab becomes its <0xNN> byte
 * tokens. Adjacent symbols then merge while their concatenation is a vocab
 * piece, the highest-scoring merge first (leftmost on ties). */
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

static int mergeable(const tokenizer *tok, int32_t id)
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
    tok->escape_spaces = tok_find(tok, SPM_SPACE, 3) >= 0;
    for (int b = 0; b < 256; b++) {
        char piece[8];
        snprintf(piece, sizeof(piece), "<0x%02X>", b);
        int32_t id = tok_find(tok, piece, 6);
        tok->byte_tok[b] = id >= 0 && tok->types[id] == TOK_TYPE_BYTE ? id : -1;
    }
    return 0;
}

static int spm_pair(const tokenizer *tok, const uint8_t *text, const struct tok_sym *l,
                    const struct tok_sym *r, uint32_t *rank, int32_t *result)
{
    if (!mergeable(tok, l->id) || !mergeable(tok, r->id))
        return 0;
    /* Adjacent symbols are adjacent text, so the merged piece is a slice. */
    int32_t id = tok_find(tok, (const char *)text + l->start, l->len + r->len);
    if (id < 0 || !mergeable(tok, id))
        return 0;
    *rank = ~float_order(tok->scores[id]); /* best score = lowest rank */
    *result = id;
    return 1;
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
        for (uint32_t i = 0; i < n;) {
            uint32_t cp;
            uint32_t k = tok_utf8_next(buf + i, n - i, &cp);
            int32_t id = tok_find(tok, (const char *)buf + i, k);
            if (id >= 0 && mergeable(tok, id)) {
                struct tok_sym v = {id, ns - 1, ns + 1, i, k};
                syms[ns++] = v;
            } else {
                for (uint32_t j = 0; j < k; j++) { /* byte fallback */
                    struct tok_sym v = {tok->byte_tok[buf[i + j]], ns - 1, ns + 1, i + j, 1};
                    syms[ns++] = v;
                }
            }
            i += k;
        }
        syms[ns - 1].next = -1;
        tok_merge_symbols(tok, buf, syms, ns, heap, spm_pair);
        uint32_t n_out = 0;
        rc = tok_emit_symbols(syms, ns, out, max_ids, &n_out);
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
