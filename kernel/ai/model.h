/* model.h: the current model and its session. A model is a file in /MODELS
 * (GGUF, or a llama2.c .bin with /MODELS/tokenizer.bin beside it), which
 * the engine reads a tensor at a time (llm_load_file) under a progress bar,
 * with its prepared weights from the file beside it (AI_PREPARED_EXT) when
 * they were made from this model file, and keeps until another one is
 * chosen. The session (KV cache, sampler) follows the settings: it is made
 * again when they change. */
#ifndef AI_MODEL_H
#define AI_MODEL_H
#include <stddef.h>

#include "llm.h"

#define AI_MODELS_DIR "/MODELS"
#define AI_TOKENIZER_NAME "tokenizer.bin"
/* The prepared weights of /MODELS/NAME.gguf are /MODELS/NAME.prp (the image
 * builder, myos/image.py, writes them under the same name). */
#define AI_PREPARED_EXT ".prp"

/* The path of model `name`'s prepared weights. */
void ai_prepared_path(const char *name, char *out, size_t n);
/* A LoRA adapter for a model: /MODELS/NAME.lora.gguf (`train`, `lora`). */
#define AI_LORA_SUFFIX ".lora.gguf"

/* The name of the loaded model, or NULL. */
const char *ai_model_name(void);

/* Loads /MODELS/name. The name must be a file of /MODELS itself
 * (ai_folder_name_problem), the file's header must parse and the model fit
 * in memory (with what the current model gives back) before the current
 * model is freed: otherwise -1 with an error line and the current model
 * stays. When the full load fails after that, the previous model is loaded
 * again (or none is loaded, said in a line); -1. 0 on success. */
int ai_model_load(const char *name);

/* The header of a model file (path in the filesystem), read a part at a
 * time for llm_probe: 0, or -1 with one line in err. */
int ai_model_probe(const char *path, struct llm_probe *p, char *err, size_t errlen);

/* The session to generate with, loading the chosen model (or the first one
 * in /MODELS) on first use; NULL with an error line printed. */
llm_session *ai_model_session(void);

/* The loaded model for training: the engine's training dequantizes the
 * matrices as they are in the file, which a load keeps only when asked,
 * so the current model is loaded again that way first when needed (one
 * line says so; the memory check as for any load). NULL when no model is
 * loaded or that load fails (an error line printed). */
llm_model *ai_model_for_training(void);

/* The loaded model's engine handle (NULL when none is loaded). */
llm_model *ai_model_current(void);

/* 1 when `name` in /MODELS is a model file (.gguf other than an adapter,
 * or a .bin other than the tokenizer), for the listing and the default
 * choice. */
int ai_model_is_candidate(const char *name);

/* File names compare without regard to case (FAT). */
int ai_model_same_name(const char *a, const char *b);

#endif
