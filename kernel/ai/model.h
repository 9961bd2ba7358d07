/* model.h: the current model and its session. A model is a file in /MODELS
 * (GGUF, or a llama2.c .bin with /MODELS/tokenizer.bin beside it), read
 * whole into the heap with a progress bar and kept until another one is
 * chosen. The session (KV cache, sampler) follows the settings: it is made
 * again when they change. */
#ifndef AI_MODEL_H
#define AI_MODEL_H
#include "llm.h"

#define AI_MODELS_DIR "/MODELS"
#define AI_TOKENIZER_NAME "tokenizer.bin"

/* The name of the loaded model, or NULL. */
const char *ai_model_name(void);

/* Loads /MODELS/name, freeing the current model first; 0, or -1 with an
 * error line printed (nothing is loaded then). */
int ai_model_load(const char *name);

/* The session to generate with, loading the chosen model (or the first one
 * in /MODELS) on first use; NULL with an error line printed. */
llm_session *ai_model_session(void);

/* The loaded model's engine handle (NULL when none is loaded). */
llm_model *ai_model_current(void);

/* 1 when `name` in /MODELS is a model file (.gguf, or a .bin other than the
 * tokenizer), for the listing and the default choice. */
int ai_model_is_candidate(const char *name);

/* File names compare without regard to case (FAT). */
int ai_model_same_name(const char *a, const char *b);

#endif
