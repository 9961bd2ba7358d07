/* settings.h: the `ai` family's settings (sampling, limits, context), the
 * training's (`train`), the system prompt, the chosen model and adapter,
 * kept on the disk in /MYOS/ so they survive a reboot: /MYOS/SETTINGS.TXT holds `key
 * value` lines, /MYOS/SYSTEM.TXT the system prompt (absent: the model's own
 * default). */
#ifndef AI_SETTINGS_H
#define AI_SETTINGS_H
#include <stdint.h>
#include "llm.h"
#include "train/train.h"

#define AI_SYSTEM_MAX 1024
#define AI_MODEL_NAME_MAX 256

struct ai_settings {
    struct llm_settings llm;          /* the engine's rows; chat and the system
                                         prompt are chosen per session (ai/model.c) */
    struct llm_train_settings train;  /* the engine's training rows */
    int32_t show_ids;                 /* print the token ids after each answer */
    int32_t color;                    /* answers in ANSI colours on serial too */
    char model[AI_MODEL_NAME_MAX];    /* file in /MODELS, "" = the first one found */
    char lora[AI_MODEL_NAME_MAX];     /* adapter NAME (/MODELS/NAME.lora.gguf), "" = none */
    char system[AI_SYSTEM_MAX];
    int has_system;                   /* 0: the chat template's default */
    uint32_t version;                 /* bumped by every change (sessions compare it) */
};

/* The settings, read from the disk on first use. */
struct ai_settings *ai_settings(void);

/* Prints every setting, one `name value` line each. */
void ai_settings_show(void);

/* `set NAME VALUE`: 0, or -1 with an error line printed (unknown name, or
 * the engine's parser refused the value). Saved to the disk on success. */
int ai_settings_set(const char *name, const char *value);

/* The system prompt; text NULL restores the model's default. Saved. */
int ai_settings_set_system(const char *text);

/* Remembers the model chosen with `model NAME`. Saved. */
void ai_settings_set_model(const char *name);

/* Remembers the adapter chosen with `lora NAME` ("" for `lora off`). Saved:
 * 0, or -1 after an error line. */
int ai_settings_set_lora(const char *name);

#endif
