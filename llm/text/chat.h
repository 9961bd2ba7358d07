/* chat.h: turning a conversation into token ids with the model's chat template.
 *
 * The family is recognised from the GGUF `tokenizer.chat_template` string (we
 * do not run Jinja: each family's layout is written out in chat.c):
 *
 *   CHATML  <|im_start|>ROLE\nTEXT<|im_end|>\n ... <|im_start|>assistant\n
 *   LLAMA2  <s>[INST] <<SYS>>\nSYS\n<</SYS>>\n\nUSER [/INST] ANSWER</s><s>[INST] ...
 *   LLAMA3  <|begin_of_text|><|start_header_id|>ROLE<|end_header_id|>\n\nTEXT<|eot_id|>...
 *   GEMMA   <bos><start_of_turn>user\nTEXT<end_of_turn>\n<start_of_turn>model\n
 *   RAW     [BOS] TEXT (base models, llama2.c stories, or no template at all)
 *
 * Control tokens come only from tok_lookup of their exact piece; every text
 * (role names, user text, system prompt) goes through tok_encode, which never
 * produces control tokens, so a user typing "<|im_end|>" gets plain text.
 *
 * A default system prompt is taken from the template itself when it spells
 * one out as a literal (SmolLM2: "You are a helpful AI assistant named SmolLM,
 * trained by Hugging Face"); it is used when the conversation has no system
 * message, as the template does.
 */
#ifndef LLM_CHAT_H
#define LLM_CHAT_H

#include <stddef.h>
#include "params.h"
#include <stdint.h>

struct tokenizer;

typedef enum { CHAT_RAW = 0, CHAT_CHATML, CHAT_LLAMA2, CHAT_LLAMA3, CHAT_GEMMA } chat_family;

typedef enum { CHAT_SYSTEM = 0, CHAT_USER, CHAT_ASSISTANT } chat_role;

typedef struct {
    chat_role role;
    const char *text; /* not NUL-terminated */
    uint32_t len;
} chat_message;


typedef struct {
    chat_family family;
    const struct tokenizer *tok;
    int add_bos;       /* prepend BOS at the start of a conversation */
    int32_t bos;       /* -1 when the tokenizer has none */
    int32_t open;      /* family's turn-opening control token (im_start, start_header_id, start_of_turn) */
    int32_t close;     /* turn-closing control token (im_end, eot_id, end_of_turn, EOS for LLAMA2) */
    int32_t header_end;/* LLAMA3 <|end_header_id|> */
    int32_t eot[LLM_MAX_EOT]; /* ids that end the assistant's turn */
    int n_eot;
    char default_system[LLM_MAX_SYSTEM_DEFAULT];
    uint32_t default_system_len; /* 0: no default system prompt */
} chat_template;

/* The family a template string belongs to (NULL or empty -> CHAT_RAW). */
chat_family chat_detect(const char *tmpl, uint32_t len);

/* "chatml", "llama2", "llama3", "gemma" or "raw". */
const char *chat_family_name(chat_family f);

/* Set up formatting for tokenizer `tok` and template `tmpl` (may be NULL).
 * add_bos: the model wants BOS at the start (GGUF tokenizer.ggml.add_bos_token;
 * always for llama2.c models). Returns 0, or -1 with a message in err when a
 * control token the family needs is missing from the vocabulary. */
int chat_init(chat_template *c, const struct tokenizer *tok, const char *tmpl, uint32_t tmpl_len,
              int add_bos, char *err, size_t errlen);

/* 1 if `id` ends the assistant's turn (the family's closing token or EOS). */
int chat_is_eot(const chat_template *c, int32_t id);

/* Token ids of a whole conversation from its start; with add_generation_prompt
 * the ids end with the opening of the assistant's turn. Returns the count, or
 * -1 when it does not fit in max_out. */
int chat_format(const chat_template *c, const chat_message *msgs, int n_msgs, int add_generation_prompt,
                int32_t *out, int max_out);

/* Token ids that continue a conversation whose last tokens are an assistant
 * reply (already in the KV cache) with one new user turn and the assistant's
 * opening. eot_generated: the reply ended with an end-of-turn id (otherwise
 * the closing token is added first). Returns the count, or -1 when it does not
 * fit. */
int chat_format_next(const chat_template *c, const chat_message *user, int eot_generated, int32_t *out,
                     int max_out);

#endif
