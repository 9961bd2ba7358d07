/* loaders.h: filling struct llm_model from a file's bytes (used by load.c).
 * On failure they return -1 with err set and leave what they attached to the
 * model for model_release. */
#ifndef LLM_LOADERS_H
#define LLM_LOADERS_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* GGUF v2/v3 of a family of arch.h, with its tokenizer when present; its
 * weights read by weights_load (formats/weights.h) with opt's prepared
 * weights and cancel. */
int load_gguf_model(struct llm_model *m, const struct llm_file *file, struct llm_load_options *opt, char *err,
                    size_t errlen);

/* llama2.c legacy .bin (in place, or read whole into m->file_store), plus
 * its tokenizer.bin when tok is not NULL. */
int load_llama2c_model(struct llm_model *m, const struct llm_file *file, const struct llm_file *tok, char *err,
                       size_t errlen);
/* Bytes the GGUF loader copies the chat template into (0: none). */
struct gguf_file;
uint64_t gguf_chat_template_bytes(const struct gguf_file *f);

/* Shared by the GGUF loader and the header probe (probe.c), so that both
 * read a file the same way. */
struct gguf_str;
/* The family of general.architecture when the engine runs it (arch.h), or
 * NULL with err set; *name (if not NULL) is the name whenever the key is
 * present. */
const struct model_arch *gguf_check_arch(const struct gguf_file *f, struct gguf_str *name, char *err,
                                         size_t errlen);
/* The shape from the "<arch>.*" metadata (llama.cpp's defaults for the
 * optional keys) and n_vocab from token_embd.weight. 0, or -1 with err set. */
int gguf_read_config(const struct gguf_file *f, const struct model_arch *arch, struct model_config *c, char *err,
                     size_t errlen);
/* The llama2.c header's shape (from the first size bytes of a file of
 * file_size bytes), checked against the engine's limits and the file size;
 * *shared: the classifier is the embedding. 0, or -1 with err set. */
#define LLAMA2C_HEADER_BYTES 28u
int llama2c_shape(const uint8_t *p, size_t size, uint64_t file_size, struct model_config *c, int *shared, char *err,
                  size_t errlen);
/* Bytes the llama2.c tokenizer loader holds while it builds the tokenizer. */
size_t llama2c_tokenizer_scratch_bytes(uint32_t n_vocab);
/* The tokenizer of a GGUF file into m->tok, with m->add_bos and the chat
 * template; no tokenizer keys leave m->tok NULL. The vocab must have
 * m->cfg.n_vocab tokens (the embedding's rows), any size when that is 0: a
 * tokenizer alone, for tools and tests that only tokenize. `deferred`:
 * without its tables (tok_create_bpe), which the load then reads with the
 * prepared weights or builds. 0, or -1 with err set. */
int gguf_load_tokenizer(const struct gguf_file *f, struct llm_model *m, int deferred, char *err, size_t errlen);
/* Bytes the GGUF tokenizer loader holds while it builds the tokenizer (the
 * string lists, the token types and the SentencePiece scores). */
size_t gguf_tokenizer_scratch_bytes(uint32_t n_vocab, uint32_t n_merges, int has_types, int spm);

#endif
