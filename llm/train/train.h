/* train.h: LoRA fine-tuning of a loaded model on text, the API the shell's
 * `train` and myos-llm --train share.
 *
 * The text is tokenized (BOS first when the model wants it; chat turns in
 * the model's template) and cut into chunks of ctx + 1 tokens, chunk c
 * starting at token c * ctx; step s trains on chunk s mod (the number of
 * chunks): the ctx inputs predict the ctx next tokens, cross-entropy
 * averaged over them. One step is a forward
 * pass keeping its activations (train_forward.c), the backward pass into the
 * LoRA matrices only (train_backward.c; the base weights stay frozen and
 * quantized), gradient clipping to a global norm of TRAIN_CLIP_NORM and
 * AdamW (train.c), as torch.nn.utils.clip_grad_norm_ and torch.optim.AdamW
 * with their default betas, eps and weight decay define them. Everything is
 * float32 in a fixed order: the OS and the host program write the same
 * adapter bytes.
 */
#ifndef LLM_TRAIN_TRAIN_H
#define LLM_TRAIN_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "llm.h"
#include "settings.h"
#include "train/lora.h"

#define TRAIN_BETA1 0.9f
#define TRAIN_BETA2 0.999f
#define TRAIN_EPS 1e-8f
#define TRAIN_WEIGHT_DECAY 0.01f
#define TRAIN_CLIP_NORM 1.0f

/* The training settings (rows of llm_train_settings, saved and set as the
 * session's are). */
struct llm_train_settings {
    int32_t lora_rank;
    float lora_alpha;
    int32_t lora_targets; /* bit t: target t of lora.h */
    int32_t train_steps;
    float train_lr;
    int32_t train_ctx;    /* tokens per step */
    uint64_t train_seed;  /* the adapter's random start */
};
extern const struct llm_setting llm_train_settings[];
void llm_train_settings_default(struct llm_train_settings *s);

/* The training text as token ids: *ids (llm_alloc'd, *n of them), or -1
 * with one line in err: empty, not UTF-8, no tokenizer, a malformed chat
 * turn, or shorter than one chunk of ctx + 1 tokens. A file of ChatML turns
 * (<|im_start|>ROLE\nTEXT<|im_end|>) is rendered with the model's chat
 * template (train_text.c). */
int train_tokenize(const llm_model *m, const char *text, size_t len, uint32_t ctx, int32_t **ids, uint32_t *n,
                   char *err, size_t errlen);
/* The ctx + 1 tokens of step s (0-based). */
const int32_t *train_chunk(const int32_t *ids, uint32_t n, uint32_t ctx, uint32_t step);

/* A new adapter of the settings' rank, alpha and targets for m, at its
 * random start from train_seed (lora_init_random). 0, or -1 with err set. */
int train_new_adapter(const llm_model *m, const struct llm_train_settings *ts, struct lora_adapter *ad, char *err,
                      size_t errlen);

struct trainer;

/* Bytes train_create allocates (activations, gradients, optimizer state). */
uint64_t train_bytes(const llm_model *m, const struct lora_adapter *ad, uint32_t ctx);
/* A trainer of `ad` (whose values it updates) on m for chunks of ctx
 * tokens. int_kernels: the forward's q, k, o and output products with the
 * engine's integer kernels instead of float32 (the inference's arithmetic;
 * the gradients within 1e-2 of float32's instead of 1e-4). NULL with err
 * set (memory, ctx range). */
struct trainer *train_create(const llm_model *m, struct lora_adapter *ad, uint32_t ctx, int int_kernels,
                             char *err, size_t errlen);
void train_free(struct trainer *tr);

/* Forward and backward on one chunk (ctx + 1 tokens, each below the
 * vocabulary size: the caller checks): the mean loss, the gradients in
 * train_grads. */
float train_loss_and_grads(struct trainer *tr, const int32_t *tokens);
const struct lora_adapter *train_grads(const struct trainer *tr);
/* Clips the gradients and takes one AdamW step of learning rate lr. */
void train_update(struct trainer *tr, float lr);

/* ---- adapter files (train/adapter_gguf.c) ---- */

/* Bytes of the GGUF file lora_gguf_write makes of ad for model m. */
uint64_t lora_gguf_bytes(const llm_model *m, const struct lora_adapter *ad);
/* Writes ad as llama.cpp's LoRA adapter GGUF (general.type "adapter",
 * adapter.type "lora", adapter.lora.alpha, F32 tensors
 * blk.N.<matrix>.weight.lora_a of ne [cols, rank] and .lora_b of ne [rank,
 * rows]) into out (lora_gguf_bytes of them). */
void lora_gguf_write(const llm_model *m, const struct lora_adapter *ad, uint8_t *out);
/* Reads an adapter file for model m into ad (allocated here): 0, or -1 with
 * one line in err (not an adapter, another architecture, a shape that is
 * not this model's, an unsupported tensor type). */
int lora_gguf_read(const llm_model *m, const void *data, size_t size, struct lora_adapter *ad, char *err,
                   size_t errlen);

/* The checks of lora_gguf_read for a model known by its header alone
 * (llm_probe's info: architecture, layers, matrix shapes), for listings: 0
 * with the adapter's rank and targets, or -1 with one line in err. */
int lora_gguf_fits(const struct llm_model_info *info, const void *data, size_t size, uint32_t *rank,
                   uint32_t *targets, char *err, size_t errlen);

/* Applies `ad` (kept by the caller, alive until removed) to m's forward
 * passes, or removes the adapter (NULL). */
void llm_model_set_lora(llm_model *m, const struct lora_adapter *ad);

#endif
