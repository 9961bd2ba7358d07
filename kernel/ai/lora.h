/* lora.h: the LoRA adapter applied to the current model (`lora NAME|off`),
 * a file /MODELS/NAME.lora.gguf (AI_LORA_SUFFIX) that `train` or llama.cpp's
 * tools wrote. The engine checks it against the model's shapes and adds its
 * product to the forward passes, so `ai`, `chat` and the API answer with it.
 * The choice is a saved setting (ai/settings.h): it is applied again
 * whenever its model is loaded, after a reboot too. */
#ifndef AI_LORA_H
#define AI_LORA_H

#include "llm.h"

/* The applied adapter's NAME, or NULL. */
const char *ai_lora_name(void);

/* Applies /MODELS/NAME.lora.gguf to the loaded model in place of the
 * adapter it has, and saves the choice: 0, or -1 after an error line (no
 * model, a bad name, a file that is not an adapter for this model); the
 * adapter applied before then stays. */
int ai_lora_apply(const char *name);

/* Removes the adapter and saves that choice. */
int ai_lora_off(void);

/* Prints the applied adapter in one line. */
void ai_lora_show(void);

/* For ai/model.c: a model was loaded (the saved adapter is applied, or a
 * note says why it is not), or is about to be freed (its adapter goes). */
void ai_lora_model_loaded(void);
void ai_lora_model_unloading(void);

/* For `models`: one line for each adapter in /MODELS that fits the model
 * with this header information (the same checks as ai_lora_apply), marked
 * when it is the applied one and `current` says the model is loaded. */
void ai_lora_list(const struct llm_model_info *info, int current);

#endif
