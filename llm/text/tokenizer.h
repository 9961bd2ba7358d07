/* tokenizer.h: text <-> token ids for the inference engine.
 *
 * Two tokenizer families:
 *  - GPT-2 byte-level BPE (GGUF `tokenizer.ggml.model` = "gpt2"): vocab, merge
 *    list and the pre-tokenizer named by `tokenizer.ggml.pre` ("default",
 *    "gpt-2", "smollm", "llama3", "qwen2", ... as llama.cpp names them).
 *  - SentencePiece-style BPE with scores and <0xNN> byte fallback (llama2.c
 *    tokenizer.bin, GGUF "llama" tokenizer model).
 *
 * The constructors take plain arrays: the loaders (gguf.c, llama2c.c) own the
 * file parsing. The tokenizer copies what it keeps, so the arrays and the
 * bytes they point to may be freed after the call. All memory comes from
 * llm_alloc and is released by tok_free.
 *
 * tok_encode handles plain text only: it never produces control tokens, even
 * for text such as "<|im_end|>"; templates get control ids with tok_lookup.
 * User-defined tokens (e.g. Qwen's "<tool_call>") are split out of the text.
 */
#ifndef LLM_TOKENIZER_H
#define LLM_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

/* A string inside the model file bytes: not NUL-terminated. */
typedef struct {
    const char *ptr;
    uint32_t len;
} llm_str;

/* Token types, numbered as GGUF's tokenizer.ggml.token_type. */
enum {
    TOK_TYPE_NORMAL = 1,
    TOK_TYPE_UNKNOWN = 2,
    TOK_TYPE_CONTROL = 3,
    TOK_TYPE_USER_DEFINED = 4,
    TOK_TYPE_UNUSED = 5,
    TOK_TYPE_BYTE = 6,
};

/* Negative results of tok_encode / tok_decode / tok_stream_*. */
enum {
    TOK_ERR_TOO_MANY = -1, /* output buffer (ids or bytes) too small */
    TOK_ERR_NOMEM = -2,    /* llm_alloc failed */
    TOK_ERR_INVALID = -3,  /* bad argument, e.g. a token id out of range */
};

typedef struct tokenizer tokenizer;

/* GPT-2 byte-level BPE. tokens[n_vocab] are the vocab pieces in the byte-level
 * alphabet ("Ġ" for a space); types may be NULL (all normal); merges[n_merges]
 * are "left right" strings, earlier = higher priority; pre_name is
 * tokenizer.ggml.pre (NULL or "" = "default"). An unknown pre-tokenizer, an
 * empty vocab or a malformed merge gives NULL and a message in err. */
tokenizer *tok_create_bpe(const llm_str *tokens, const int32_t *types, uint32_t n_vocab,
                          const llm_str *merges, uint32_t n_merges, const char *pre_name, int deferred,
                          char *err, size_t errlen);

/* SentencePiece BPE: pieces merge by best score (leftmost on ties), characters
 * missing from the vocab fall back to the <0xNN> byte tokens. types may be NULL
 * (llama2.c's tokenizer.bin): then 0 is <unk>, 1 and 2 are the control tokens
 * <s> and </s>, pieces spelled <0xNN> are bytes and the rest normal.
 * add_space_prefix: prepend one space to non-empty text (the
 * "dummy prefix"). Spaces are written as U+2581 when the vocab uses that
 * convention (GGUF llama vocabs) and as plain spaces otherwise (llama2.c). */
tokenizer *tok_create_spm(const llm_str *tokens, const float *scores, const int32_t *types,
                          uint32_t n_vocab, int add_space_prefix, int deferred, char *err, size_t errlen);

/* A tokenizer's lookup tables: the piece -> id hash and BPE's merge table.
 * Building them is most of a tokenizer's creation under emulation, so the
 * prepared-weights file (formats/prepared.h) keeps them. Created with
 * `deferred` set, a tokenizer has room for its tables but not their
 * contents, and nothing but tok_tables, tok_adopt_tables, tok_build_tables
 * and tok_free may use it until one of the last two has succeeded (the
 * merges given to tok_create_bpe are then not read). */
#define TOK_TABLES 2
struct tok_table {
    void *ptr;
    uint64_t bytes; /* 0: a table this tokenizer has not */
};
void tok_tables(const tokenizer *tok, struct tok_table out[TOK_TABLES]);
/* Takes the tables' bytes written into tok_tables's places (prepared
 * weights): 0, or -1 when they cannot be this tokenizer's (an id out of
 * range, no free slot), which leaves it deferred. */
int tok_adopt_tables(tokenizer *tok);
/* Builds the tables from the vocabulary and, for BPE, merges[n_merges]
 * (those of tok_create_bpe): 0, or -1 with err set (a malformed merge). */
int tok_build_tables(tokenizer *tok, const llm_str *merges, uint32_t n_merges, char *err, size_t errlen);

void tok_free(tokenizer *tok);

/* BOS / EOS ids from the model file (-1 = none). Defaults: SentencePiece
 * bos 1, eos 2 (llama2.c); BPE none. Returns -1 if an id is out of range. */
int tok_set_special(tokenizer *tok, int32_t bos, int32_t eos);
int32_t tok_bos(const tokenizer *tok);
int32_t tok_eos(const tokenizer *tok);

uint32_t tok_n_vocab(const tokenizer *tok);
/* The type of an id (-1 when out of range). */
int tok_type(const tokenizer *tok, int32_t id);
/* Exact lookup of a NUL-terminated raw vocab piece, e.g. "<|im_start|>":
 * the id, or -1. */
int32_t tok_lookup(const tokenizer *tok, const char *piece);

/* Encodes len bytes of plain text (no BOS added). User-defined tokens in
 * the text (type USER_DEFINED) are taken as they are, longest first, as
 * llama.cpp does; the text between them is encoded by the family's rules.
 * Returns the number of ids written to out_ids, or a negative TOK_ERR_*.
 * Valid UTF-8 needs at most len + 1 ids (len + 1 more when a SentencePiece
 * vocab adds its space prefix after each user-defined token); other bytes
 * at most 4 * len + 3, because a SentencePiece vocab that spells spaces as
 * U+2581 cuts the escaped text into characters by their lead bytes, as
 * llama.cpp does, so a broken sequence can swallow part of a space. */
int32_t tok_encode(const tokenizer *tok, const char *text, uint32_t len, int32_t *out_ids,
                   uint32_t max_ids);

/* Longest text (bytes) a single token decodes to. */
uint32_t tok_max_piece_bytes(const tokenizer *tok);
/* Bytes tok_create_bpe (bpe = 1) or tok_create_spm allocates for a
 * vocabulary of n_vocab pieces holding text_bytes in all, and n_merges
 * merge rules of at most longest_merge bytes. */
uint64_t tok_bytes(int bpe, uint32_t n_vocab, uint64_t text_bytes, uint32_t n_merges, uint32_t longest_merge);

/* Streaming decoder: text bytes are released only as complete UTF-8
 * sequences; a token ending inside a sequence is held until it completes.
 * Bytes that can never form a valid sequence are passed through as they are.
 * Control/unknown/unused tokens decode to nothing. As in llama2.c, a leading
 * space of the token right after BOS is dropped (SentencePiece only). */
typedef struct {
    const tokenizer *tok;
    int32_t prev;          /* previous token id, -1 at the start */
    uint8_t held[4];       /* incomplete UTF-8 sequence */
    uint32_t n_held;
} tok_stream;

void tok_stream_init(tok_stream *s, const tokenizer *tok);
/* Writes the complete text released by token id to out (not NUL-terminated).
 * Returns the byte count or a negative TOK_ERR_*. cap >= tok_max_piece_bytes
 * + 4 always suffices. */
int32_t tok_stream_push(tok_stream *s, int32_t id, char *out, uint32_t cap);
/* At the end of a stream: releases any held bytes as they are. */
int32_t tok_stream_flush(tok_stream *s, char *out, uint32_t cap);

/* Whole-sequence decode (a stream plus its flush). Returns the byte count or
 * a negative TOK_ERR_*. */
int32_t tok_decode(const tokenizer *tok, const int32_t *ids, uint32_t n_ids, char *out,
                   uint32_t cap);

#endif
