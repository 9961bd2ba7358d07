/* tokenizer_internal.h: the tokenizer object shared by tokenizer.c (vocab,
 * lookup, decoding), tokenizer_bpe.c, tokenizer_spm.c and tokenizer_pre.c.
 * Not part of the engine's API: include tokenizer.h instead. */
#ifndef LLM_TOKENIZER_INTERNAL_H
#define LLM_TOKENIZER_INTERNAL_H

#include "text/tokenizer.h"

enum tok_kind { TOK_KIND_BPE, TOK_KIND_SPM };

/* User-defined pieces shorter than this many bytes have their lengths
 * recorded exactly (a multiple of 32). */
#define TOK_USER_SHORT 128u

/* One BPE merge rule, keyed by the ids of its two halves. */
struct tok_merge {
    int32_t left, right; /* -1 marks an empty slot */
    int32_t rank;        /* position in the merge list: lower merges first */
    int32_t result;      /* id of the merged piece */
};

struct tokenizer {
    enum tok_kind kind;
    uint32_t n_vocab;
    char *text;       /* every raw piece, back to back */
    uint32_t *offs;   /* piece i is text[offs[i] .. offs[i+1]) */
    uint8_t *types;   /* TOK_TYPE_* */
    int32_t *hash;    /* open addressing: raw piece -> slot (tokenizer.c), -1 = empty */
    uint32_t hash_mask;
    int unique;       /* no piece appears twice: an id whose piece matches is tok_find's */
    int32_t bos, eos;
    uint32_t max_piece_bytes;
    /* Byte -> token: BPE, the piece of the byte's GPT-2 character; SPM, the
     * <0xNN> byte-fallback piece. -1 when the vocab lacks it. */
    int32_t byte_tok[256];

    /* GPT-2 BPE */
    int pre;                  /* pre-tokenizer, enum in tokenizer_pre.h */
    struct tok_merge *merges; /* open addressing on (left, right) */
    uint32_t merge_mask;
    uint32_t n_merges;        /* the rules the table was sized for */

    /* SentencePiece */
    float *scores;
    int add_space_prefix;
    int escape_spaces; /* spaces are U+2581 in the vocab */

    /* User-defined pieces (tokenizer_user.c): their first bytes, and which
     * lengths below TOK_USER_SHORT occur; the longest of the longer ones. */
    uint32_t n_user;
    uint32_t user_first[256 / 32];
    uint32_t user_lens[TOK_USER_SHORT / 32];
    uint32_t user_long_max;
};

/* Shared by the constructors: copies the vocab and types, makes room for
 * the lookup hash (tok_build_tables fills it); NULL (and err filled) on
 * failure. */
tokenizer *tok_alloc_vocab(enum tok_kind kind, const llm_str *tokens, const int32_t *types,
                           uint32_t n_vocab, char *err, size_t errlen);
void tok_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Zeroed allocation that also guards n * size against overflow. */
void *tok_calloc(size_t n, size_t size);

/* Id of the raw piece s[0..len), or -1 (the first of equal pieces). */
int32_t tok_find(const tokenizer *tok, const char *s, uint32_t len);
/* Whether piece id (< n_vocab) is s[0..len). */
int tok_piece_is(const tokenizer *tok, int32_t id, const char *s, uint32_t len);

/* Decodes one UTF-8 sequence at s[0..len) (len >= 1): returns its length and
 * stores the code point; an invalid or truncated sequence is one byte long
 * with code point 0xFFFD. */
uint32_t tok_utf8_next(const uint8_t *s, uint32_t len, uint32_t *cp);

/* Merging (tokenizer_merge.c): a word is syms[0..n), linked in order, each
 * covering text[start .. start + len). */
struct tok_sym {
    int32_t id, prev, next; /* id -1: no piece (never merges, not emitted) */
    uint32_t start, len;
};
struct tok_cand {
    uint32_t rank; /* lower merges first; ties go to the leftmost pair */
    int32_t left, left_id, right_id, result;
};
/* Whether l and r may merge: then their rank and the merged piece's id. */
typedef int (*tok_pair_fn)(const tokenizer *tok, const uint8_t *text, const struct tok_sym *l,
                           const struct tok_sym *r, uint32_t *rank, int32_t *result);
/* Merges until no pair applies; heap has room for 3 * n candidates. */
void tok_merge_symbols(const tokenizer *tok, const uint8_t *text, struct tok_sym *syms, int32_t n,
                       struct tok_cand *heap, tok_pair_fn pair);
/* Appends the ids of the remaining symbols to out; TOK_ERR_TOO_MANY when full. */
int tok_emit_symbols(const struct tok_sym *syms, int32_t n, int32_t *out, uint32_t max_ids,
                     uint32_t *n_out);

/* User-defined tokens (tokenizer_user.c). tok_user_init records the
 * vocab's user-defined pieces (after the types are final). tok_user_split
 * marks text[0..len): marks[i] is the id of a user-defined token starting at
 * byte i, TOK_MARK_INSIDE for its other bytes, TOK_MARK_TEXT for plain text. */
#define TOK_MARK_TEXT (-1)
#define TOK_MARK_INSIDE (-2)
void tok_user_init(tokenizer *tok);
void tok_user_split(const tokenizer *tok, const char *text, uint32_t len, int32_t *marks);

/* Family specific parts. */
/* Slots of the merge table for n_merges rules: a power of two, at most half
 * full. */
uint32_t tok_merge_slots(uint32_t n_merges);
/* The pre-tokenizer and room for the merge table; then its rules (the
 * hash built), whether a read table can be used, and the lookups the
 * encoder needs once the tables are there. */
int tok_bpe_init(tokenizer *tok, uint32_t n_merges, const char *pre_name, char *err, size_t errlen);
int tok_bpe_build_merges(tokenizer *tok, const llm_str *merges, uint32_t n_merges, char *err, size_t errlen);
int tok_bpe_merges_usable(const tokenizer *tok);
void tok_bpe_lookups(tokenizer *tok);
int32_t tok_bpe_encode(const tokenizer *tok, const char *text, uint32_t len, int32_t *out,
                       uint32_t max_ids);
/* Writes the text of BPE token id (raw bytes) to out[cap]: the byte count. */
uint32_t tok_bpe_piece_bytes(const tokenizer *tok, int32_t id, uint8_t *out, uint32_t cap);

/* The scores; then, once the hash is there, the lookups the encoder needs. */
int tok_spm_init(tokenizer *tok, const float *scores, int add_space_prefix, char *err,
                 size_t errlen);
void tok_spm_lookups(tokenizer *tok);
int32_t tok_spm_encode(const tokenizer *tok, const char *text, uint32_t len, int32_t *out,
                       uint32_t max_ids);
uint32_t tok_spm_piece_bytes(const tokenizer *tok, int32_t id, uint8_t *out, uint32_t cap);

#endif
