/* loaders.h: filling struct llm_model from a file's bytes (used by load.c).
 * On failure they return -1 with err set and leave what they attached to the
 * model for model_release. */
#ifndef LLM_LOADERS_H
#define LLM_LOADERS_H

#include <stddef.h>

#include "model.h"

/* GGUF v2/v3, architecture "llama", with its tokenizer when present. */
int load_gguf_model(struct llm_model *m, const void *data, size_t size, char *err, size_t errlen);

/* llama2.c legacy .bin, plus its tokenizer.bin when tok is not NULL. */
int load_llama2c_model(struct llm_model *m, const void *data, size_t size, const void *tok, size_t tok_size,
                       char *err, size_t errlen);

#endif
