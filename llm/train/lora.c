/* lora.c: LoRA adapters in memory (lora.h): their layout, random start and
 * product y += f * B (A x) (float_products.h's dot products: the host
 * program and the OS compute the same bits). */
#include "train/lora.h"

#include "model.h"
#include "params.h"
#include "platform.h"
#include "sampler.h"
#include "train/float_products.h"

/* Floats of every A and B for this shape. */
static uint64_t lora_floats(const struct model_config *c, uint32_t rank, uint32_t targets)
{
    struct model_layer layer;
    struct model_matrix mats[MODEL_LAYER_MATRICES];
    model_layer_matrices(c, &layer, mats);
    uint64_t per_layer = 0;
    for (uint32_t t = 0; t < LORA_TARGETS; t++)
        if (targets >> t & 1)
            per_layer += (uint64_t)rank * (mats[t].rows + mats[t].cols);
    return per_layer * c->n_layers;
}

static int shape_ok(uint32_t rank, uint32_t targets)
{
    return rank >= 1 && rank <= LLM_LORA_MAX_RANK && targets != 0 && targets < (1u << LORA_TARGETS);
}

uint64_t lora_bytes(const struct model_config *c, uint32_t rank, uint32_t targets)
{
    if (!shape_ok(rank, targets))
        return 0;
    return lora_floats(c, rank, targets) * sizeof(float) +
           (uint64_t)c->n_layers * LORA_TARGETS * sizeof(struct lora_matrix);
}

int lora_create(struct lora_adapter *ad, const struct model_config *c, uint32_t rank, float alpha,
                uint32_t targets, char *err, size_t errlen)
{
    memset(ad, 0, sizeof *ad);
    if (!shape_ok(rank, targets)) {
        snprintf(err, errlen, "lora: rank must be 1 to %u and at least one target given", LLM_LORA_MAX_RANK);
        return -1;
    }
    uint64_t n = lora_floats(c, rank, targets), table = (uint64_t)c->n_layers * LORA_TARGETS;
    if (n * sizeof(float) >= 0x7fffffffu) {
        snprintf(err, errlen, "lora: an adapter of rank %u is larger than 2 GiB", rank);
        return -1;
    }
    ad->params = llm_alloc((size_t)n * sizeof(float), 32);
    ad->mats = llm_alloc((size_t)table * sizeof(struct lora_matrix), 8);
    if (!ad->params || !ad->mats) {
        lora_free(ad);
        snprintf(err, errlen, "lora: out of memory for an adapter of %lu KiB",
                 (unsigned long)(n * sizeof(float) >> 10));
        return -1;
    }
    memset(ad->params, 0, (size_t)n * sizeof(float));
    memset(ad->mats, 0, (size_t)table * sizeof(struct lora_matrix));
    ad->n_layers = c->n_layers;
    ad->rank = rank;
    ad->targets = targets;
    ad->alpha = alpha;
    ad->scale = 1.0f;
    ad->n_params = n;
    struct model_layer layer;
    struct model_matrix mats[MODEL_LAYER_MATRICES];
    model_layer_matrices(c, &layer, mats);
    float *at = ad->params;
    for (uint32_t l = 0; l < c->n_layers; l++) {
        for (uint32_t t = 0; t < LORA_TARGETS; t++) {
            if (!(targets >> t & 1))
                continue;
            struct lora_matrix *lm = &ad->mats[l * LORA_TARGETS + t];
            lm->rows = mats[t].rows;
            lm->cols = mats[t].cols;
            lm->a = at;
            at += (size_t)rank * lm->cols;
            lm->b = at;
            at += (size_t)lm->rows * rank;
        }
    }
    return 0;
}

int lora_create_like(struct lora_adapter *ad, const struct lora_adapter *like, char *err, size_t errlen)
{
    memset(ad, 0, sizeof *ad);
    uint64_t table = (uint64_t)like->n_layers * LORA_TARGETS;
    ad->params = llm_alloc((size_t)like->n_params * sizeof(float), 32);
    ad->mats = llm_alloc((size_t)table * sizeof(struct lora_matrix), 8);
    if (!ad->params || !ad->mats) {
        lora_free(ad);
        snprintf(err, errlen, "lora: out of memory for the training state (%lu KiB)",
                 (unsigned long)(like->n_params * sizeof(float) >> 10));
        return -1;
    }
    memset(ad->params, 0, (size_t)like->n_params * sizeof(float));
    ad->n_layers = like->n_layers;
    ad->rank = like->rank;
    ad->targets = like->targets;
    ad->alpha = like->alpha;
    ad->scale = like->scale;
    ad->n_params = like->n_params;
    for (uint64_t i = 0; i < table; i++) {
        const struct lora_matrix *src = &like->mats[i];
        struct lora_matrix *dst = &ad->mats[i];
        *dst = *src;
        if (src->a) {
            dst->a = ad->params + (src->a - like->params);
            dst->b = ad->params + (src->b - like->params);
        }
    }
    return 0;
}

void lora_free(struct lora_adapter *ad)
{
    llm_free(ad->params);
    llm_free(ad->mats);
    memset(ad, 0, sizeof *ad);
}

void lora_init_random(struct lora_adapter *ad, uint64_t seed)
{
    uint64_t counter = 0;
    for (uint32_t i = 0; i < ad->n_layers * LORA_TARGETS; i++) {
        struct lora_matrix *lm = &ad->mats[i];
        if (!lm->a)
            continue;
        float bound = 1.0f / sqrtf((float)lm->cols);
        for (uint32_t j = 0; j < ad->rank * lm->cols; j++) {
            uint64_t bits = sampler_splitmix64(seed + counter++ * 0x9E3779B97F4A7C15ull);
            float u = (float)(uint32_t)(bits >> 40) * (1.0f / 16777216.0f); /* [0, 1), exact */
            lm->a[j] = (2.0f * u - 1.0f) * bound;
        }
        memset(lm->b, 0, sizeof(float) * lm->rows * ad->rank);
    }
}

/* out + i * os (+)= f * (the rows of m, rows x cols, r0 apart) . (x + i * xs)
 * for n vectors, FP_ROWS rows at a time. */
static void rows_dot(const float *m, uint32_t rows, uint32_t cols, const float *x, size_t xs, uint32_t n,
                     float *out, size_t os, float f, int accumulate)
{
    for (uint32_t r0 = 0; r0 < rows; r0 += FP_ROWS) {
        const uint32_t nr = rows - r0 < FP_ROWS ? rows - r0 : FP_ROWS;
        const float *rp[FP_ROWS];
        fp_row_group(rp, m + (size_t)r0 * cols, cols, nr);
        fp_dot_rows(rp, nr, cols, x, xs, n, out + r0, os, f, accumulate);
    }
}

void lora_apply(const struct lora_adapter *ad, uint32_t layer, uint32_t target, const float *x, size_t xstride,
                uint32_t n, float *y, size_t ystride, float *u)
{
    if (!ad || layer >= ad->n_layers || !(ad->targets >> target & 1))
        return;
    const struct lora_matrix *lm = &ad->mats[layer * LORA_TARGETS + target];
    const uint32_t r = ad->rank;
    const float f = lora_factor(ad);
    /* Without u, one vector at a time through A x of our own. */
    float local[LLM_LORA_MAX_RANK];
    const uint32_t step = u ? n : 1;
    for (uint32_t i = 0; i < n; i += step) {
        float *ui = u ? u : local;
        rows_dot(lm->a, r, lm->cols, x + i * xstride, xstride, step, ui, r, 1.0f, 0);
        rows_dot(lm->b, lm->rows, r, ui, r, step, y + i * ystride, ystride, f, 1);
    }
}
