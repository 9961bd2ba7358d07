/* model.c: the forward pass of every family of arch.h, its buffers and KV
 * cache.
 *
 * Per layer: x += post(Wo . attention(rope(qk(Wq . n + bq)), rope(qk(Wk . n
 * + bk)), Wv . n + bv)) with n = ops_rmsnorm(x); then x += post(Wdown . (act(Wgate
 * . n') * (Wup . n'))) with n' = ops_rmsnorm(x). The family decides the parts:
 * biases, qk (an RMSNorm of each head), post (an RMSNorm of the half's
 * output), act (SiLU or tanh GELU), which pairs RoPE rotates, and which
 * layers see only a sliding window of positions. For llama, RoPE rotates
 * adjacent pairs (2i, 2i+1) of each head by pos * base^(-2i / rope_dim):
 * GGUF's llama conversions permute Wq/Wk rows so that this is the model's
 * rotation, and llama2.c does the same; qwen2 and gemma3 files keep the
 * original rows, rotated as pairs (i, i + rope_dim / 2).
 *
 * Tokens go through in batches (a prompt's, up to LLM_BATCH): each
 * matrix is then read once for the whole batch, and only attention runs
 * token by token, in order, each token seeing the keys stored before it.
 * A LoRA adapter (m->lora) adds its f * B (A x) to each product it adapts.
 */
#include "model.h"
#include "params.h"

#include "attention.h"
#include "buffers.h"
#include "llm.h"
#include "ops.h"
#include "platform.h"
#include "profile.h"
#include "matmul/matmul.h"
#include "text/tokenizer.h"
#include "train/lora.h"

/* Generous limits that keep every size below 2^31 elements. */

static int bad_config(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "model: %s", what);
    return -1;
}

#define MODEL_BUFFERS 2
/* The layer table and the vectors (model_vector_floats). */
static uint32_t model_plan(struct llm_model *m, struct llm_buf *plan)
{
    const struct model_config *c = &m->cfg;
    const struct llm_buf b[MODEL_BUFFERS] = {
        { (void **)&m->layers, (uint64_t)sizeof(struct model_layer) * c->n_layers, 8 },
        { (void **)&m->vector_store, (uint64_t)sizeof(float) * model_vector_floats(c), 32 },
    };
    memcpy(plan, b, sizeof b);
    return MODEL_BUFFERS;
}

void model_layer_matrices(const struct model_config *c, struct model_layer *L,
                          struct model_matrix out[MODEL_LAYER_MATRICES])
{
    uint32_t q_dim = c->n_heads * c->head_dim, kv_dim = c->n_kv_heads * c->head_dim;
    const struct model_matrix mats[MODEL_LAYER_MATRICES] = {
        { "attn_q", &L->wq, q_dim, c->dim },        { "attn_k", &L->wk, kv_dim, c->dim },
        { "attn_v", &L->wv, kv_dim, c->dim },       { "attn_output", &L->wo, c->dim, q_dim },
        { "ffn_gate", &L->w_gate, c->hidden_dim, c->dim }, { "ffn_down", &L->w_down, c->dim, c->hidden_dim },
        { "ffn_up", &L->w_up, c->hidden_dim, c->dim },
    };
    memcpy(out, mats, sizeof mats);
}

uint32_t model_layer_vectors(const struct model_config *c, struct model_layer *L,
                             struct model_vector out[MODEL_LAYER_VECTORS])
{
    const struct model_arch *a = c->arch;
    uint32_t q_dim = c->n_heads * c->head_dim, kv_dim = c->n_kv_heads * c->head_dim, n = 0;
    out[n++] = (struct model_vector){ "attn_norm.weight", &L->attn_norm, c->dim };
    out[n++] = (struct model_vector){ "ffn_norm.weight", &L->ffn_norm, c->dim };
    if (a->qkv_bias) {
        out[n++] = (struct model_vector){ "attn_q.bias", &L->bq, q_dim };
        out[n++] = (struct model_vector){ "attn_k.bias", &L->bk, kv_dim };
        out[n++] = (struct model_vector){ "attn_v.bias", &L->bv, kv_dim };
    }
    if (a->qk_norm) {
        out[n++] = (struct model_vector){ "attn_q_norm.weight", &L->q_norm, c->head_dim };
        out[n++] = (struct model_vector){ "attn_k_norm.weight", &L->k_norm, c->head_dim };
    }
    if (a->post_norms) {
        out[n++] = (struct model_vector){ "post_attention_norm.weight", &L->post_attn_norm, c->dim };
        out[n++] = (struct model_vector){ "post_ffw_norm.weight", &L->post_ffn_norm, c->dim };
    }
    return n;
}

uint64_t model_vector_floats(const struct model_config *c)
{
    struct model_layer L;
    struct model_vector v[MODEL_LAYER_VECTORS];
    uint64_t per_layer = 0;
    for (uint32_t i = 0, n = model_layer_vectors(c, &L, v); i < n; i++)
        per_layer += v[i].len;
    return per_layer * c->n_layers + c->dim;
}

void model_config_info(const struct model_config *c, struct llm_model_info *info)
{
    info->n_layers = c->n_layers;
    info->dim = c->dim;
    info->hidden_dim = c->hidden_dim;
    info->n_heads = c->n_heads;
    info->n_kv_heads = c->n_kv_heads;
    info->head_dim = c->head_dim;
    info->rope_dim = c->rope_dim;
    info->n_vocab = c->n_vocab;
    info->ctx_train = c->ctx_train;
    info->rope_base = c->rope_base;
    info->rms_eps = c->rms_eps;
    info->sliding_window = c->sliding_window;
    info->swa_period = c->swa_period;
    info->rope_base_swa = c->rope_base_swa;
    snprintf(info->arch, sizeof info->arch, "%s", c->arch->name);
}

void model_config_from_info(const struct llm_model_info *i, struct model_config *c)
{
    *c = (struct model_config){ .arch = arch_find(i->arch, (uint32_t)strlen(i->arch)),
                                .n_layers = i->n_layers, .dim = i->dim, .hidden_dim = i->hidden_dim,
                                .n_heads = i->n_heads, .n_kv_heads = i->n_kv_heads, .head_dim = i->head_dim,
                                .rope_dim = i->rope_dim, .n_vocab = i->n_vocab, .ctx_train = i->ctx_train,
                                .sliding_window = i->sliding_window, .swa_period = i->swa_period,
                                .rope_base = i->rope_base, .rope_base_swa = i->rope_base_swa,
                                .rms_eps = i->rms_eps };
}

int model_check_config(const struct model_config *c, char *err, size_t errlen)
{
    if (!c->arch)
        return bad_config(err, errlen, "no architecture");
    if (c->n_layers == 0 || c->n_layers > LLM_MAX_LAYERS)
        return bad_config(err, errlen, "layer count out of range");
    if (c->dim == 0 || c->dim > LLM_MAX_DIM || c->hidden_dim == 0 || c->hidden_dim > LLM_MAX_HIDDEN)
        return bad_config(err, errlen, "embedding or feed-forward size out of range");
    if (c->n_heads == 0 || c->n_heads > LLM_MAX_HEADS || c->n_kv_heads == 0 || c->n_heads % c->n_kv_heads != 0)
        return bad_config(err, errlen, "head counts inconsistent");
    if (c->head_dim == 0 || c->head_dim % 2 != 0 || c->head_dim * c->n_heads > LLM_MAX_DIM)
        return bad_config(err, errlen, "head size must be even and fit the embedding");
    if (c->rope_dim == 0 || c->rope_dim % 2 != 0 || c->rope_dim > c->head_dim)
        return bad_config(err, errlen, "rope dimension out of range");
    if (c->n_vocab == 0 || c->n_vocab > LLM_MAX_VOCAB)
        return bad_config(err, errlen, "vocabulary size out of range");
    if (!(c->rms_eps > 0.0f && c->rms_eps < 1.0f) || !(c->rope_base > 1.0f && c->rope_base < 1e12f) ||
        (c->sliding_window && !(c->rope_base_swa > 1.0f && c->rope_base_swa < 1e12f)))
        return bad_config(err, errlen, "rms epsilon or rope base out of range");
    return 0;
}

int model_alloc(struct llm_model *m, char *err, size_t errlen)
{
    const struct model_config *c = &m->cfg;
    if (model_check_config(c, err, errlen) != 0)
        return -1;
    struct llm_buf plan[MODEL_BUFFERS];
    if (buffers_alloc(plan, model_plan(m, plan)) != 0)
        return bad_config(err, errlen, "out of memory for the layer table");
    memset(m->layers, 0, sizeof(struct model_layer) * c->n_layers);
    float *next = m->vector_store;
    for (uint32_t l = 0; l < c->n_layers; l++) {
        struct model_vector v[MODEL_LAYER_VECTORS];
        for (uint32_t i = 0, n = model_layer_vectors(c, &m->layers[l], v); i < n; i++) {
            *v[i].slot = next;
            next += v[i].len;
        }
    }
    m->output_norm = next;
    return 0;
}

int model_for_each_matrix(struct llm_model *m, int (*fn)(struct qtensor *t, const char *name, void *ctx), void *ctx)
{
    char name[64];
    int rc = 0;
    for (uint32_t l = 0; rc == 0 && m->layers && l < m->cfg.n_layers; l++) {
        struct model_matrix mats[MODEL_LAYER_MATRICES];
        model_layer_matrices(&m->cfg, &m->layers[l], mats);
        for (uint32_t i = 0; rc == 0 && i < MODEL_LAYER_MATRICES; i++) {
            snprintf(name, sizeof name, "blk.%lu.%s.weight", (unsigned long)l, mats[i].suffix);
            rc = fn(mats[i].t, name, ctx);
        }
    }
    return rc ? rc : fn(&m->output, m->tied_output ? "token_embd.weight" : "output.weight", ctx);
}

uint64_t model_bytes(const struct model_config *c)
{
    struct llm_model m;
    struct llm_buf plan[MODEL_BUFFERS];
    m.cfg = *c;
    return sizeof m + buffers_bytes(plan, model_plan(&m, plan));
}

void model_release(struct llm_model *m)
{
    if (m->tok)
        tok_free(m->tok);
    llm_free(m->layers);
    llm_free(m->vector_store);
    llm_free(m->chat_template);
    llm_free(m->file_store);
    m->tok = NULL;
    m->layers = NULL;
    m->vector_store = NULL;
    m->chat_template = NULL;
    m->file_store = NULL;
}

/* ---- state ------------------------------------------------------------- */

/* One set of rotations per rope base the layers use. */
static uint32_t rope_sets(const struct model_config *c)
{
    return c->sliding_window ? 2 : 1;
}

#define STATE_BUFFERS 13
/* The inference buffers: one vector per token of a batch (a few hundred KiB
 * for SmolLM2), the logits, the RoPE tables, the activation blocks. */
static uint32_t state_plan(struct model_state *s, const struct model_config *c, struct llm_buf *plan)
{
    uint32_t q_dim = c->n_heads * c->head_dim, kv_dim = c->n_kv_heads * c->head_dim;
    uint32_t wide = c->dim > q_dim ? c->dim : q_dim;
    if (c->hidden_dim > wide)
        wide = c->hidden_dim;
    const uint64_t f = sizeof(float), B = LLM_BATCH, sets = rope_sets(c);
    const struct llm_buf b[STATE_BUFFERS] = {
        { (void **)&s->x, f * c->dim * B, 32 },          { (void **)&s->xb, f * wide * B, 32 },
        { (void **)&s->xb2, f * c->dim * B, 32 },        { (void **)&s->hb, f * c->hidden_dim * B, 32 },
        { (void **)&s->hb2, f * c->hidden_dim * B, 32 }, { (void **)&s->q, f * q_dim * B, 32 },
        { (void **)&s->k, f * kv_dim * B, 32 },          { (void **)&s->v, f * kv_dim * B, 32 },
        { (void **)&s->logits, f * c->n_vocab, 32 },
        { (void **)&s->rope_cos, f * (c->rope_dim / 2) * B * sets, 32 },
        { (void **)&s->rope_sin, f * (c->rope_dim / 2) * B * sets, 32 },
        { (void **)&s->inv_freq, f * (c->rope_dim / 2) * sets, 32 },
        { (void **)&s->qa, (uint64_t)sizeof(struct qact_block) * (wide / QK + 1), 32 },
    };
    memcpy(plan, b, sizeof b);
    return STATE_BUFFERS;
}

uint64_t model_state_bytes(const struct model_config *c, uint32_t ctx)
{
    struct model_state s;
    struct llm_buf plan[STATE_BUFFERS];
    return buffers_bytes(plan, state_plan(&s, c, plan)) +
           llm_kv_cache_bytes(c->n_layers, ctx, c->n_kv_heads, c->head_dim);
}

int model_state_init(struct model_state *s, const struct llm_model *m, uint32_t ctx, char *err, size_t errlen)
{
    const struct model_config *c = &m->cfg;
    memset(s, 0, sizeof *s);
    s->ctx = ctx;
    uint64_t kv_bytes = llm_kv_cache_bytes(c->n_layers, ctx, c->n_kv_heads, c->head_dim);
    if (ctx == 0 || kv_bytes > 0x7fffffffu) {
        snprintf(err, errlen, "context %lu needs a KV cache larger than 2 GiB", (unsigned long)ctx);
        return -1;
    }
    struct llm_buf plan[STATE_BUFFERS];
    if (buffers_alloc(plan, state_plan(s, c, plan)) != 0) {
        snprintf(err, errlen, "out of memory for the inference buffers");
        return -1;
    }
    if (kv_cache_init(&s->kv, c->n_layers, ctx, c->n_kv_heads, c->head_dim) != 0) {
        model_state_free(s);
        snprintf(err, errlen, "out of memory for the KV cache (%lu MiB for context %lu)",
                 (unsigned long)(kv_bytes >> 20), (unsigned long)ctx);
        return -1;
    }
    s->rope_sets = rope_sets(c);
    for (uint32_t set = 0; set < s->rope_sets; set++)
        ops_rope_freqs(s->inv_freq + set * (c->rope_dim / 2), set == 0 ? c->rope_base : c->rope_base_swa,
                       c->rope_dim);
    ops_init();
    return 0;
}

void model_state_free(struct model_state *s)
{
    struct llm_buf plan[STATE_BUFFERS];
    buffers_free(plan, state_plan(s, &(struct model_config){ 0 }, plan));
    kv_cache_free(&s->kv);
    memset(s, 0, sizeof *s);
}

/* ---- the pieces of a layer --------------------------------------------- */

/* The rotations of positions pos0 .. pos0 + n - 1 for every rope base,
 * once per batch (cosf and sinf are slow under emulation; every layer
 * reuses them). */
static void rope_angles(struct model_state *s, uint32_t rope_dim, uint32_t pos0, uint32_t n)
{
    uint32_t half = rope_dim / 2;
    for (uint32_t set = 0; set < s->rope_sets; set++)
        ops_rope_angles(s->rope_cos + set * half * LLM_BATCH, s->rope_sin + set * half * LLM_BATCH,
                        s->inv_freq + set * half, rope_dim, pos0, n);
}

/* Rotates the first rope_dim values of each head of v by the position of
 * batch token t, with the rotations of set `set`. */
static void rope(const struct model_state *s, uint32_t set, uint32_t t, float *v, uint32_t n_heads,
                 uint32_t head_dim, uint32_t rope_dim, int neox)
{
    uint32_t half = rope_dim / 2;
    const float *cs = s->rope_cos + (set * LLM_BATCH + t) * half, *sn = s->rope_sin + (set * LLM_BATCH + t) * half;
    ops_rope(v, cs, sn, n_heads, head_dim, rope_dim, neox, 0);
}

/* v[j * len + i] += b[i] for each of the n vectors of the batch (stride len). */
static void add_bias(float *v, const float *b, uint32_t len, uint32_t n)
{
    for (uint32_t t = 0; t < n; t++)
        for (uint32_t i = 0; i < len; i++)
            v[t * len + i] += b[i];
}

/* RMSNorm of each of the n_heads heads of v in place, with weight w. */
static void head_norm(float *v, const float *w, uint32_t n_heads, uint32_t head_dim, float eps)
{
    for (uint32_t h = 0; h < n_heads; h++)
        ops_rmsnorm(v + h * head_dim, v + h * head_dim, w, head_dim, eps);
}

/* out + i * ostride = w . (x + i * xstride) for the n tokens of the batch. */
static void matmul(const struct qtensor *w, struct model_state *s, const float *x, uint32_t xstride, uint32_t n,
                   float *out, uint32_t ostride)
{
    quant_matmul(w, s->qa, x, xstride, n, out, ostride);
}

/* x += the half's output d (len values, every token of the batch), after
 * its own RMSNorm with weight w when the family has one (post_norms). */
static void add_output(const struct model_config *c, float *x, float *d, const float *w, uint32_t n)
{
    if (w)
        for (uint32_t t = 0; t < n; t++)
            ops_rmsnorm(d + t * c->dim, d + t * c->dim, w, c->dim, c->rms_eps);
    ops_add(x, d, n * c->dim);
}

/* The attention half of layer l for the batch: Q, K, V for every token,
 * then token by token in order RoPE and store its keys and values, then
 * every token attends (positions <= its own, all stored by then, or the
 * last sliding_window of them), then the output projection for all. */
static void attention_block(const struct llm_model *m, struct model_state *s, uint32_t l, uint32_t n,
                            uint32_t pos0, uint32_t wide)
{
    const struct model_config *c = &m->cfg;
    const struct model_layer *L = &m->layers[l];
    uint32_t q_dim = c->n_heads * c->head_dim, kv_dim = c->n_kv_heads * c->head_dim;
    int windowed = model_layer_windowed(c, l), neox = c->arch->rope_neox;
    for (uint32_t t = 0; t < n; t++)
        ops_rmsnorm(s->xb + t * wide, s->x + t * c->dim, L->attn_norm, c->dim, c->rms_eps);
    const struct quant_product qkv[3] = { { &L->wq, s->q, q_dim }, { &L->wk, s->k, kv_dim },
                                          { &L->wv, s->v, kv_dim } };
    quant_matmul_many(qkv, 3, s->qa, s->xb, wide, n);
    lora_apply(m->lora, l, LORA_Q, s->xb, wide, n, s->q, q_dim, NULL);
    lora_apply(m->lora, l, LORA_K, s->xb, wide, n, s->k, kv_dim, NULL);
    lora_apply(m->lora, l, LORA_V, s->xb, wide, n, s->v, kv_dim, NULL);
    uint64_t t0 = llm_time_ns();
    if (L->bq) {
        add_bias(s->q, L->bq, q_dim, n);
        add_bias(s->k, L->bk, kv_dim, n);
        add_bias(s->v, L->bv, kv_dim, n);
    }
    for (uint32_t t = 0; t < n; t++) {
        float *q = s->q + t * q_dim, *k = s->k + t * kv_dim;
        if (L->q_norm) {
            head_norm(q, L->q_norm, c->n_heads, c->head_dim, c->rms_eps);
            head_norm(k, L->k_norm, c->n_kv_heads, c->head_dim, c->rms_eps);
        }
        rope(s, (uint32_t)windowed, t, q, c->n_heads, c->head_dim, c->rope_dim, neox);
        rope(s, (uint32_t)windowed, t, k, c->n_kv_heads, c->head_dim, c->rope_dim, neox);
        kv_store(&s->kv, l, pos0 + t, k, s->v + t * kv_dim);
    }
    /* xb's normed inputs are no longer needed: Q, K, V are done. */
    kv_attention(&s->kv, l, pos0, n, s->q, q_dim, c->n_heads, windowed ? c->sliding_window : 0, s->xb, wide);
    llm_prof.attention_ns += llm_time_ns() - t0;
    matmul(&L->wo, s, s->xb, wide, n, s->xb2, c->dim);
    lora_apply(m->lora, l, LORA_O, s->xb, wide, n, s->xb2, c->dim, NULL);
    add_output(c, s->x, s->xb2, L->post_attn_norm, n);
}

/* The feed-forward half of layer l for the batch. */
static void ffn_block(const struct llm_model *m, struct model_state *s, uint32_t l, uint32_t n)
{
    const struct model_config *c = &m->cfg;
    const struct model_layer *L = &m->layers[l];
    for (uint32_t t = 0; t < n; t++)
        ops_rmsnorm(s->xb + t * c->dim, s->x + t * c->dim, L->ffn_norm, c->dim, c->rms_eps);
    const struct quant_product gate_up[2] = { { &L->w_gate, s->hb, c->hidden_dim },
                                              { &L->w_up, s->hb2, c->hidden_dim } };
    quant_matmul_many(gate_up, 2, s->qa, s->xb, c->dim, n);
    lora_apply(m->lora, l, LORA_GATE, s->xb, c->dim, n, s->hb, c->hidden_dim, NULL);
    lora_apply(m->lora, l, LORA_UP, s->xb, c->dim, n, s->hb2, c->hidden_dim, NULL);
    if (c->arch->ffn == FFN_GEGLU)
        ops_geglu(s->hb, s->hb2, n * c->hidden_dim);
    else
        ops_swiglu(s->hb, s->hb2, n * c->hidden_dim);
    matmul(&L->w_down, s, s->hb, c->hidden_dim, n, s->xb2, c->dim);
    lora_apply(m->lora, l, LORA_DOWN, s->hb, c->hidden_dim, n, s->xb2, c->dim, NULL);
    add_output(c, s->x, s->xb2, L->post_ffn_norm, n);
}

float *model_forward_batch(const struct llm_model *m, struct model_state *s, const int32_t *tokens, uint32_t n,
                           uint32_t pos0, int want_logits)
{
    const struct model_config *c = &m->cfg;
    uint32_t q_dim = c->n_heads * c->head_dim;
    uint32_t wide = c->dim > q_dim ? c->dim : q_dim;
    if (n == 0 || n > LLM_BATCH)
        return NULL;
    /* llama.cpp scales by sqrtf(n_embd) in float, as here. */
    float scale = c->arch->embed_scale ? sqrtf((float)c->dim) : 1.0f;
    for (uint32_t t = 0; t < n; t++) {
        float *x = s->x + t * c->dim;
        quant_dequant_row(&m->tok_embd, (uint32_t)tokens[t], x);
        if (c->arch->embed_scale)
            for (uint32_t i = 0; i < c->dim; i++)
                x[i] *= scale;
    }
    rope_angles(s, c->rope_dim, pos0, n);
    for (uint32_t l = 0; l < c->n_layers; l++) {
        attention_block(m, s, l, n, pos0, wide);
        ffn_block(m, s, l, n);
    }
    /* The classifier is a fifth of a token's work: a prompt's earlier
     * tokens only fill the KV cache and skip it. */
    if (!want_logits)
        return NULL;
    ops_rmsnorm(s->xb, s->x + (n - 1) * c->dim, m->output_norm, c->dim, c->rms_eps);
    matmul(&m->output, s, s->xb, c->dim, 1, s->logits, c->n_vocab);
    return s->logits;
}
