/* tokenizer_pre.h: BPE pre-tokenizers. Before BPE merges, text is cut into
 * words by the regex a vocab was trained with (named by GGUF's
 * tokenizer.ggml.pre). Each regex is matched by hand-written code here, with
 * llama.cpp's semantics: a pre-tokenizer is a sequence of splits, each one
 * cutting the pieces of the previous one, and lookahead never sees past the
 * end of the piece being split. */
#ifndef LLM_TOKENIZER_PRE_H
#define LLM_TOKENIZER_PRE_H

#include <stdint.h>

/* Text decoded to code points: cp[i] starts at byte off[i] (off[n] = length),
 * cls[i] = unicode_class(cp[i]). */
struct tok_cpts {
    uint32_t n;
    const uint32_t *cp;
    const uint8_t *cls;
    const uint32_t *off;
};

/* Receives each word as a byte range; nonzero stops the split and is returned. */
typedef int (*tok_pre_emit)(void *ctx, uint32_t byte_start, uint32_t byte_end);

/* Pre-tokenizer id for a tokenizer.ggml.pre name (NULL or "" = "default"); -1
 * if unknown. */
int tok_pre_lookup(const char *name);

/* Whether BPE must take a word that is itself a vocab piece as it is, without
 * merging (Llama 3's "ignore_merges": the merges might not rebuild it). */
int tok_pre_ignore_merges(int pre);

int tok_pre_split(int pre, const struct tok_cpts *t, tok_pre_emit emit, void *ctx);

#endif
