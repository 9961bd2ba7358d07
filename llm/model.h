/* model.h: a decoder-only transformer of one of the families of arch.h
 * (weights in place) and its forward pass over a batch of tokens with a KV
 * cache.
 *
 * The loaders (load_gguf.c, llama2c.c) fill struct llm_model; model.c runs it:
 * RMSNorm, RoPE, grouped-query attention over a 16-bit integer KV cache
 * (attention.h), a gated feed-forward, tied or own output, with the
 * differences of each family taken from its struct model_arch.
 */
#ifndef LLM_MODEL_H
#define LLM_MODEL_H

#include <stddef.h>
#include "params.h"
#include <stdint.h>

#include "arch.h"
#include "attention.h"
#include "llm.h"
#include "matmul/quant.h"

struct tokenizer;
struct lora_adapter;

struct model_config {
    const struct model_arch *arch;
    uint32_t n_layers, dim, hidden_dim, n_heads, n_kv_heads, head_dim, rope_dim;
    uint32_t n_vocab;   /* output rows */
    uint32_t ctx_train;
    uint32_t sliding_window;  /* positions a windowed layer sees (0: none is) */
    uint32_t swa_period;      /* arch.h's pattern, or the file's */
    float rope_base, rope_base_swa, rms_eps;
};

/* Whether layer l attends only to the last cfg.sliding_window positions
 * (and rotates with rope_base_swa). */
static inline int model_layer_windowed(const struct model_config *c, uint32_t l)
{
    uint32_t period = c->swa_period;
    return c->sliding_window && period && l % period < period - 1;
}

struct model_layer {
    float *attn_norm, *ffn_norm;
    float *bq, *bk, *bv;                  /* qkv_bias */
    float *q_norm, *k_norm;               /* qk_norm: head_dim each */
    float *post_attn_norm, *post_ffn_norm; /* post_norms */
    struct qtensor wq, wk, wv, wo;
    struct qtensor w_gate, w_down, w_up;
};

struct llm_model {
    char format[8], name[64];
    struct model_config cfg;
    struct qtensor tok_embd, output;
    float *output_norm;
    int tied_output;
    struct model_layer *layers;
    float *vector_store;          /* owned: the norms and biases as floats */
    struct tokenizer *tok;        /* NULL: ids only */
    int add_bos;
    char *chat_template;          /* owned, or NULL */
    uint32_t chat_template_len;
    uint8_t *file_store;          /* owned: the tensors kept as they are in a file read in parts */
    uint64_t source_size;         /* the model file's size and digest (formats/weights.h) */
    uint8_t source_digest[16];
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

/* A layer's vectors (norm weights and biases) that its family has: where
 * each is in the layer, its length and its GGUF name "blk.N.<name>";
 * returns how many. */
#define MODEL_LAYER_VECTORS 9
struct model_vector {
    const char *name;
    float **slot;
    uint32_t len;
};
uint32_t model_layer_vectors(const struct model_config *c, struct model_layer *L,
                             struct model_vector out[MODEL_LAYER_VECTORS]);

/* Calls fn(t, name, ctx) on every matrix a forward pass multiplies with, in
 * one fixed order (each layer's seven, then the output), with its GGUF
 * name ("token_embd.weight" for a tied output); stops at the first nonzero
 * result and returns it. The prepared weights (formats/prepared.h) are
 * stored in this order. */
int model_for_each_matrix(struct llm_model *m, int (*fn)(struct qtensor *t, const char *name, void *ctx), void *ctx);
/* The shape's fields of the public model info (llm_model_get_info and the
 * header probe both report it). */
void model_config_info(const struct model_config *c, struct llm_model_info *info);
/* Its inverse: the shape of a probed model (arch NULL when the info names
 * no family of arch.h). */
void model_config_from_info(const struct llm_model_info *info, struct model_config *c);

/* 0 when the shape is consistent and within the engine's limits, or -1
 * with err set (model_alloc checks it; so does the header probe). */
int model_check_config(const struct model_config *c, char *err, size_t errlen);
/* Bytes model_alloc and the model structure take for this shape. */
uint64_t model_bytes(const struct model_config *c);

/* Checks that m->cfg is consistent and within the engine's limits, then
 * allocates m->layers and the storage of every layer's vectors and the
 * output norm, and points them there for the loader to fill. 0, or -1 with
 * err set. */
int model_alloc(struct llm_model *m, char *err, size_t errlen);
/* Floats of that storage: every layer's vectors and the output norm. */
uint64_t model_vector_floats(const struct model_config *c);
/* Frees what model_alloc and the loader attached (tokenizer, chat template
 * and kept tensors included). */
void model_release(struct llm_model *m);

struct model_state {
    uint32_t ctx;
    /* Per token of a batch (LLM_BATCH vectors each), except logits. */
    float *x, *xb, *xb2, *hb, *hb2, *q, *k, *v, *logits;
    /* The batch positions' rotations, rope_dim / 2 each, for rope_base
     * and then (when the model has windowed layers) for rope_base_swa. */
    float *rope_cos, *rope_sin;
    float *inv_freq;             /* per pair, the same two sets */
    uint32_t rope_sets;          /* 1 or 2 */
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
