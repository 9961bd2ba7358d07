/* train.c: a trainer's buffers and the update of one step: gradient
 * clipping by global norm and AdamW (train.h). The training text's tokens
 * and chunks are train_text.c's.
 *
 * Every buffer of a trainer is one allocation (an arena), sized by the same
 * walk that hands out its parts, so train_bytes is exactly what
 * train_create takes besides the three adapter-shaped arrays (gradients and
 * AdamW's two moments).
 */
#include "train/trainer.h"

#include "ops.h"
#include "params.h"
#include "platform.h"

/* Hands out n floats of the arena (64-byte aligned: a cache line, so that
 * the products' tiles of 32 columns span two lines, not three), or only
 * counts them when the arena is not there yet. */
struct arena_walk {
    uint8_t *base;
    uint64_t at;
};

static float *take(struct arena_walk *w, uint64_t n)
{
    float *p = w->base ? (float *)(w->base + w->at) : NULL;
    w->at += (n * sizeof(float) + 63) & ~(uint64_t)63;
    return p;
}

/* Points every buffer of tr into the arena (or sizes it). */
static void layout(struct trainer *tr, const struct model_config *c, uint32_t rank, uint32_t targets,
                   struct arena_walk *w)
{
    const uint64_t T = tr->ctx, dim = c->dim, hid = c->hidden_dim;
    const uint64_t q_dim = (uint64_t)c->n_heads * c->head_dim, kv_dim = (uint64_t)c->n_kv_heads * c->head_dim;
    uint64_t widest = dim > q_dim ? dim : q_dim;
    if (hid > widest)
        widest = hid;
    for (uint32_t l = 0; l < c->n_layers; l++) {
        struct train_acts a;
        a.x_in = take(w, T * dim);
        a.xn1 = take(w, T * dim);
        a.q = take(w, T * q_dim);
        a.k = take(w, T * kv_dim);
        a.v = take(w, T * kv_dim);
        a.att = take(w, (uint64_t)c->n_heads * T * T);
        a.ao = take(w, T * q_dim);
        a.x_mid = take(w, T * dim);
        a.xn2 = take(w, T * dim);
        a.gate = take(w, T * hid);
        a.up = take(w, T * hid);
        a.h = take(w, T * hid);
        for (uint32_t t = 0; t < LORA_TARGETS; t++)
            a.u[t] = targets >> t & 1 ? take(w, T * rank) : NULL;
        if (w->base)
            tr->acts[l] = a;
    }
    tr->x_final = take(w, T * dim);
    tr->xnf = take(w, T * dim);
    tr->logits = take(w, T * c->n_vocab);
    tr->rope_cos = take(w, T * (c->rope_dim / 2));
    tr->rope_sin = take(w, T * (c->rope_dim / 2));
    tr->inv_freq = take(w, c->rope_dim / 2);
    tr->dx = take(w, T * dim);
    tr->dmid = take(w, T * dim);
    tr->dxn = take(w, T * dim);
    tr->dh = take(w, T * hid);
    tr->dgate = take(w, T * hid);
    tr->dup = take(w, T * hid);
    tr->dq = take(w, T * q_dim);
    tr->dk = take(w, T * kv_dim);
    tr->dv = take(w, T * kv_dim);
    tr->dao = take(w, T * q_dim);
    tr->gu = take(w, T * rank);
    tr->dp = take(w, T * T);
    /* TRAIN_T_BLOCK weight rows (the forward products use FP_ROWS of
     * them): the widest of the matrices, rounded up to an odd number of
     * 64-byte lines, so that the same columns of many rows, which the
     * transposed products read together, do not all fall into the few
     * cache sets a power-of-two multiple would (1536 floats: 2 of 64). */
    tr->row_stride = (uint32_t)(((widest + 15) & ~15ull) | 16);
    tr->row = take(w, (uint64_t)TRAIN_T_BLOCK * tr->row_stride);
    tr->qa = (struct qact_block *)take(w, (widest / QK + 1) * sizeof(struct qact_block) / sizeof(float) + 1);
}

static uint64_t arena_bytes(const struct model_config *c, uint32_t ctx, uint32_t rank, uint32_t targets)
{
    struct trainer tr;
    struct arena_walk w = { NULL, 0 };
    tr.ctx = ctx;
    layout(&tr, c, rank, targets, &w);
    return w.at + (uint64_t)c->n_layers * sizeof(struct train_acts);
}

uint64_t train_bytes(const llm_model *m, const struct lora_adapter *ad, uint32_t ctx)
{
    return arena_bytes(&m->cfg, ctx, ad->rank, ad->targets) + 3 * lora_bytes(&m->cfg, ad->rank, ad->targets);
}

/* 1 when the model's network is the one train_forward.c and
 * train_backward.c differentiate: llama's (no biases, head norms, extra
 * norms, embedding scale, GeGLU, RoPE on halves or sliding windows). */
static int trains_network(const struct model_config *c)
{
    const struct model_arch *a = c->arch;
    return !a->rope_neox && !a->qkv_bias && !a->qk_norm && !a->post_norms && !a->embed_scale &&
           a->ffn == FFN_SWIGLU && !c->sliding_window;
}

static int missing_file_bytes(struct qtensor *t, const char *name, void *ctx)
{
    (void)name;
    (void)ctx;
    return t->data == NULL;
}

/* Whether every matrix has its bytes as in the file, which the float32
 * products and the backward pass dequantize row by row. */
static int has_file_weights(struct llm_model *m)
{
    return model_for_each_matrix(m, missing_file_bytes, NULL) == 0;
}

struct trainer *train_create(const llm_model *m, struct lora_adapter *ad, uint32_t ctx, int int_kernels,
                             char *err, size_t errlen)
{
    const struct model_config *c = &m->cfg;
    if (!trains_network(c)) {
        snprintf(err, errlen, "train: %s models cannot be trained: the training has llama's network only",
                 c->arch->name);
        return NULL;
    }
    if (ctx < 2 || ctx > LLM_TRAIN_MAX_CTX) {
        snprintf(err, errlen, "train: train_ctx must be 2 to %u tokens", LLM_TRAIN_MAX_CTX);
        return NULL;
    }
    if (ad->n_layers != c->n_layers) {
        snprintf(err, errlen, "train: the adapter is not for this model");
        return NULL;
    }
    if (!has_file_weights((struct llm_model *)m)) {
        snprintf(err, errlen, "train: the model was loaded without its weights as in the file "
                              "(llm_load_options.keep_file_weights)");
        return NULL;
    }
    uint64_t arena = arena_bytes(c, ctx, ad->rank, ad->targets);
    if (arena >= 0x7fffffffu) {
        snprintf(err, errlen, "train: %u tokens per step need more than 2 GiB; lower train_ctx", ctx);
        return NULL;
    }
    struct trainer *tr = llm_alloc(sizeof *tr, 8);
    if (!tr) {
        snprintf(err, errlen, "train: out of memory");
        return NULL;
    }
    memset(tr, 0, sizeof *tr);
    tr->m = m;
    tr->ad = ad;
    tr->ctx = ctx;
    tr->int_kernels = int_kernels;
    tr->arena = llm_alloc((size_t)arena, 64);
    tr->acts = llm_alloc(sizeof(struct train_acts) * c->n_layers, 8);
    if (!tr->arena || !tr->acts) {
        train_free(tr);
        snprintf(err, errlen, "train: out of memory for the activations of %u tokens (%lu MiB); lower train_ctx",
                 ctx, (unsigned long)(arena >> 20));
        return NULL;
    }
    if (lora_create_like(&tr->grad, ad, err, errlen) != 0 || lora_create_like(&tr->adam_m, ad, err, errlen) != 0 ||
        lora_create_like(&tr->adam_v, ad, err, errlen) != 0) {
        train_free(tr);
        return NULL;
    }
    struct arena_walk w = { tr->arena, 0 };
    layout(tr, c, ad->rank, ad->targets, &w);
    ops_init();
    ops_rope_freqs(tr->inv_freq, c->rope_base, c->rope_dim);
    ops_rope_angles(tr->rope_cos, tr->rope_sin, tr->inv_freq, c->rope_dim, 0, ctx);
    return tr;
}

void train_free(struct trainer *tr)
{
    if (!tr)
        return;
    lora_free(&tr->grad);
    lora_free(&tr->adam_m);
    lora_free(&tr->adam_v);
    llm_free(tr->arena);
    llm_free(tr->acts);
    llm_free(tr);
}

float train_loss_and_grads(struct trainer *tr, const int32_t *tokens)
{
    float loss = train_forward(tr, tokens);
    train_backward(tr);
    return loss;
}

const struct lora_adapter *train_grads(const struct trainer *tr)
{
    return &tr->grad;
}

/* The L2 norm of n floats. */
static float norm2(const float *v, uint64_t n)
{
    float s = 0.0f;
    for (uint64_t i = 0; i < n; i++)
        s += v[i] * v[i];
    return sqrtf(s);
}

void train_update(struct trainer *tr, float lr)
{
    struct lora_adapter *ad = tr->ad;
    const uint32_t r = ad->rank;
    /* clip_grad_norm_: the norm of the tensors' norms (A and B of each
     * matrix are tensors of their own). */
    float total = 0.0f;
    for (uint32_t i = 0; i < ad->n_layers * LORA_TARGETS; i++) {
        const struct lora_matrix *g = &tr->grad.mats[i];
        if (!g->a)
            continue;
        float na = norm2(g->a, (uint64_t)r * g->cols), nb = norm2(g->b, (uint64_t)g->rows * r);
        total += na * na + nb * nb;
    }
    total = sqrtf(total);
    const float clip = TRAIN_CLIP_NORM / (total + 1e-6f);
    if (clip < 1.0f)
        for (uint64_t i = 0; i < tr->grad.n_params; i++)
            tr->grad.params[i] *= clip;
    /* AdamW: decoupled weight decay, then the bias-corrected moments. */
    tr->steps_done++;
    float b1t = 1.0f, b2t = 1.0f;
    for (uint32_t s = 0; s < tr->steps_done; s++) {
        b1t *= TRAIN_BETA1;
        b2t *= TRAIN_BETA2;
    }
    const float step_size = lr / (1.0f - b1t), bc2_sqrt = sqrtf(1.0f - b2t);
    const float decay = 1.0f - lr * TRAIN_WEIGHT_DECAY;
    float *p = ad->params, *g = tr->grad.params, *m = tr->adam_m.params, *v = tr->adam_v.params;
    for (uint64_t i = 0; i < ad->n_params; i++) {
        p[i] *= decay;
        m[i] = TRAIN_BETA1 * m[i] + (1.0f - TRAIN_BETA1) * g[i];
        v[i] = TRAIN_BETA2 * v[i] + (1.0f - TRAIN_BETA2) * g[i] * g[i];
        p[i] -= step_size * (m[i] / (sqrtf(v[i]) / bc2_sqrt + TRAIN_EPS));
    }
}

int train_new_adapter(const llm_model *m, const struct llm_train_settings *ts, struct lora_adapter *ad, char *err,
                      size_t errlen)
{
    if (lora_create(ad, &m->cfg, (uint32_t)ts->lora_rank, ts->lora_alpha, (uint32_t)ts->lora_targets, err,
                    errlen) != 0)
        return -1;
    lora_init_random(ad, ts->train_seed);
    return 0;
}

void llm_model_set_lora(llm_model *m, const struct lora_adapter *ad)
{
    m->lora = ad;
}
