/* lora.h: a LoRA adapter over a model's layer matrices, and its product.
 *
 * For a target matrix W (rows x cols) the adapter holds A (rank x cols) and
 * B (rows x rank), and the layer computes y = W x + f * B (A x) with
 * f = (alpha / rank) * scale, never merging B A into W (the base stays in
 * its quantized form). Targets are named as llama.cpp's tensors are, in the
 * order of model_layer_matrices: q, k, v, o, gate, down, up. All A and B
 * floats of an adapter are one array (params), A then B per target matrix,
 * layer by layer, so that the optimizer and the gradients see them flat.
 */
#ifndef LLM_TRAIN_LORA_H
#define LLM_TRAIN_LORA_H

#include <stddef.h>
#include <stdint.h>

struct model_config;

enum lora_target { LORA_Q, LORA_K, LORA_V, LORA_O, LORA_GATE, LORA_DOWN, LORA_UP, LORA_TARGETS };
#define LORA_TARGETS_DEFAULT ((1u << LORA_Q) | (1u << LORA_V))

/* The short name of target t ("q", "gate", ...): inline, so that the
 * settings parser needs nothing else of this part. */
static inline const char *lora_target_name(uint32_t t)
{
    static const char *const names[LORA_TARGETS] = { "q", "k", "v", "o", "gate", "down", "up" };
    return t < LORA_TARGETS ? names[t] : "?";
}

struct lora_matrix {
    float *a, *b; /* NULL when the target is not adapted */
    uint32_t rows, cols;
};

struct lora_adapter {
    uint32_t n_layers, rank, targets; /* targets: bit t for target t */
    float alpha, scale;               /* scale: the user's multiplier (1 when trained) */
    struct lora_matrix *mats;         /* [layer * LORA_TARGETS + target] */
    float *params;                    /* every A and B, see above */
    uint64_t n_params;
};

/* Bytes lora_create allocates for this shape, or 0 when the rank or the
 * targets are out of range. */
uint64_t lora_bytes(const struct model_config *c, uint32_t rank, uint32_t targets);
/* An adapter of the model's shape with every value 0. 0, or -1 with err set
 * (rank 1 .. LLM_LORA_MAX_RANK, at least one target, memory). */
int lora_create(struct lora_adapter *ad, const struct model_config *c, uint32_t rank, float alpha,
                uint32_t targets, char *err, size_t errlen);
void lora_free(struct lora_adapter *ad);
/* An adapter of the same shape as `like`, zeroed (gradients, optimizer state). */
int lora_create_like(struct lora_adapter *ad, const struct lora_adapter *like, char *err, size_t errlen);

/* The training start of PEFT's LoRA: B = 0 and A uniform in
 * +-1/sqrt(cols) (torch's kaiming_uniform_ with a = sqrt(5)), drawn from
 * `seed` by splitmix64 counters: the same bits in every build. */
void lora_init_random(struct lora_adapter *ad, uint64_t seed);

/* The factor of B (A x). */
static inline float lora_factor(const struct lora_adapter *ad)
{
    return ad->alpha / (float)ad->rank * ad->scale;
}

/* y + i * ystride += f * B (A (x + i * xstride)) for the n vectors, when the
 * adapter has (layer, target) (else nothing). u: NULL, or room for n * rank
 * floats that receive A x of each vector (the training keeps them). */
void lora_apply(const struct lora_adapter *ad, uint32_t layer, uint32_t target, const float *x, size_t xstride,
                uint32_t n, float *y, size_t ystride, float *u);

#endif
