/* model.h: a llama-architecture transformer (weights in place) and its
 * forward pass over a batch of tokens with a KV cache.
 *
 * The loaders (load_gguf.c, llama2c.c) fill struct llm_model; model.c runs it:
 * RMSNorm, RoPE on adjacent pairs, grouped-query attention over a 16-bit
 * integer KV cache (attention.h), SwiGLU feed-forward, tied or own output.
 */
#ifndef LLM_MODEL_H
#define LLM_MODEL_H

#include <stddef.h>
#include "params.h"
#include <stdint.h>

#include "attention.h"
#include "llm.h"
#include "matmul/quant.h"

struct tokenizer;
struct lora_adapter;

struct model_config {
    uint32_t n_layers, dim, hidden_dim, n_heads, n_kv_heads, head_dim, rope_dim;
    uint32_t n_vocab;   /* output rows */
    uint32_t ctx_train;
    float rope_base, rms_eps;
};

struct model_layer {
    const float *attn_norm, *ffn_norm;
    struct qtensor wq, wk, wv, wo;
    struct qtensor w_gate, w_down, w_up;
};

struct llm_model {
    char format[8], arch[24], name[64];
    struct model_config cfg;
    struct qtensor tok_embd, output;
    const float *output_norm;
    int tied_output;
    struct model_layer *layers;
    float *norm_store;            /* owned: the norm vectors as floats */
    struct tokenizer *tok;        /* NULL: ids only */
    int add_bos;
    const char *chat_template;    /* inside the file bytes, or NULL */
    uint32_t chat_template_len;
    const struct lora_adapter *lora; /* applied to every product it adapts, or NULL (train/lora.h) */
};

/* A layer's seven matrices: where each is in the layer, its shape (rows x
 * cols; GGUF's ne[1] x ne[0]) and its GGUF name "blk.N.<suffix>.weight"
 * (llama.cpp's naming, also used in messages). */
#define MODEL_LAYER_MATRICES 7
struct model_matrix {
    const char *suffix;
    struct qtensor *t;
    uint32_t rows, cols;
};
void model_layer_matrices(const struct model_config *c, struct model_layer *L,
                          struct model_matrix out[MODEL_LAYER_MATRICES]);

/* The shape's fields of the public model info (llm_model_get_info and the
 * header probe both report it). */
void model_config_info(const struct model_config *c, struct llm_model_info *info);

/* 0 when the shape is consistent and within the engine's limits, or -1
 * with err set (model_alloc checks it; so does the header probe). */
int model_check_config(const struct model_config *c, char *err, size_t errlen);
/* Bytes model_alloc and the model structure take for this shape. */
uint64_t model_bytes(const struct model_config *c);

/* Checks that m->cfg is consistent and within the engine's limits, then
 * allocates m->layers and the norm storage (2 * n_layers + 1 vectors of dim
 * floats) that the loader fills with model_norm(). 0, or -1 with err set. */
int model_alloc(struct llm_model *m, char *err, size_t errlen);
/* The i-th norm vector of the storage (0 .. 2 * n_layers). */
float *model_norm(struct llm_model *m, uint32_t i);
/* Frees what model_alloc and the loader attached (tokenizer included). */
void model_release(struct llm_model *m);

struct model_state {
    uint32_t ctx;
    /* Per token of a batch (LLM_BATCH vectors each), except logits. */
    float *x, *xb, *xb2, *hb, *hb2, *q, *k, *v, *logits;
    float *rope_cos, *rope_sin;  /* the batch positions' rotations, rope_dim / 2 each */
    float *inv_freq;             /* per pair */
    struct qact_block *qa;         /* the prepared activation's blocks */
    struct kv_cache kv;
};

/* Sizes everything for `ctx` positions; a clear error when memory does not
 * suffice. */
int model_state_init(struct model_state *s, const struct llm_model *m, uint32_t ctx, char *err,
                     size_t errlen);
void model_state_free(struct model_state *s);
/* Bytes model_state_init allocates for this shape and context (KV cache
 * included). */
uint64_t model_state_bytes(const struct model_config *c, uint32_t ctx);

/* Runs tokens[0..n-1] (1 <= n <= LLM_BATCH, else NULL; each < cfg.n_vocab
 * rows of the embedding: the caller checks) at positions pos0, pos0 + 1, ...
 * (pos0 + n <= s->ctx), storing their keys and values: the same results as
 * n calls of one token in order, with each weight matrix read once for the
 * batch. Returns the last token's logits (cfg.n_vocab), or NULL without
 * computing them when want_logits is 0. */
float *model_forward_batch(const struct llm_model *m, struct model_state *s, const int32_t *tokens, uint32_t n,
                           uint32_t pos0, int want_logits);

#endif
