/* train_backward.c: the backward pass of a training step, from the
 * cross-entropy back to the first layer, into the LoRA gradients only.
 *
 * The base weights are frozen: their products are only needed transposed,
 * dx += W^T dy, to carry the gradient to the layer below. That product is
 * column-wise over the weights as the model holds them: each row of W is
 * dequantized once per step (quant_dequant_row) and added, times dy[row],
 * into the dx of every token of the chunk. Each dx value is then a sum over
 * the rows in row order, whatever the vector width the compiler gives the
 * loop, so every build computes the same bits; the weights are read once
 * per step and no transposed copy is kept.
 */
#include "train/trainer.h"

#include "ops.h"
#include "platform.h"
#include "matmul/quant.h"

/* dx + t * dxs += w^T (dy + t * dys) for the ctx tokens, column-wise over
 * the rows as the model holds them: TRAIN_T_BLOCK rows dequantized, their
 * sum weighted by dy computed from zero (fp_sum_rows) and then added to dx.
 * A sum of the output matrix's 49152 rows in one float, most of them tiny,
 * loses a digit of the gradient (4e-4 from float64 instead of 2e-5). */
static void base_product_t(struct trainer *tr, const struct qtensor *w, const float *dy, uint32_t dys, float *dx,
                           uint32_t dxs)
{
    for (uint32_t b0 = 0; b0 < w->rows; b0 += TRAIN_T_BLOCK) {
        const uint32_t nr = w->rows - b0 < TRAIN_T_BLOCK ? w->rows - b0 : TRAIN_T_BLOCK;
        for (uint32_t i = 0; i < nr; i++)
            quant_dequant_row(w, b0 + i, tr->row + (size_t)i * tr->row_stride);
        fp_sum_rows(tr->row, tr->row_stride, nr, w->cols, dy + b0, dys, 1, tr->ctx, dx, dxs, 1.0f);
    }
}

/* The adapter's part of y = W x + f B (A x) for target `target` of layer l:
 * its gradients into tr->grad, and A^T (f B^T dy) added into dx. */
static void lora_backward(struct trainer *tr, uint32_t l, uint32_t target, const float *x, uint32_t xs,
                          const float *dy, uint32_t dys, float *dx, uint32_t dxs)
{
    const struct lora_adapter *ad = tr->ad;
    if (!(ad->targets >> target & 1))
        return;
    const struct lora_matrix *lm = &ad->mats[l * LORA_TARGETS + target];
    const struct lora_matrix *gm = &tr->grad.mats[l * LORA_TARGETS + target];
    const uint32_t r = ad->rank, rows = lm->rows, cols = lm->cols;
    const float f = lora_factor(ad);
    const float *u = tr->acts[l].u[target];
    const uint32_t T = tr->ctx;
    /* gu = f B^T dy per token; dB = f dy u^T; dA = gu x^T; dx += A^T gu. */
    memset(tr->gu, 0, sizeof(float) * T * r);
    fp_sum_rows(lm->b, r, rows, r, dy, dys, 1, T, tr->gu, r, f);
    fp_sum_rows(u, r, T, r, dy, 1, dys, rows, gm->b, r, f);
    fp_sum_rows(x, xs, T, cols, tr->gu, 1, r, r, gm->a, cols, 1.0f);
    fp_sum_rows(lm->a, cols, r, cols, tr->gu, r, 1, T, dx, dxs, 1.0f);
}

/* Both halves of a product's backward pass (the base product's only when
 * dx is needed: the first layer's input has no gradient to receive). */
static void product_t(struct trainer *tr, uint32_t l, uint32_t target, const struct qtensor *w, const float *x,
                      uint32_t xs, const float *dy, uint32_t dys, float *dx, uint32_t dxs)
{
    if (l > 0 || target > LORA_V)
        base_product_t(tr, w, dy, dys, dx, dxs);
    lora_backward(tr, l, target, x, xs, dy, dys, dx, dxs);
}

/* dx += the gradient through out = rmsnorm(x) * w, given dout, per token:
 * dx = r (w dout) - x r^3 / n * sum(w dout x), r = 1 / sqrt(mean(x^2) + eps). */
static void rmsnorm_backward(struct trainer *tr, const float *x, const float *w, const float *dout, float *dx)
{
    const struct model_config *c = &tr->m->cfg;
    const uint32_t n = c->dim;
    for (uint32_t t = 0; t < tr->ctx; t++) {
        const float *xt = x + (size_t)t * n, *dt = dout + (size_t)t * n;
        float *dxt = dx + (size_t)t * n;
        float ss = 0.0f, dot = 0.0f;
        for (uint32_t i = 0; i < n; i++) {
            ss += xt[i] * xt[i];
            dot += w[i] * dt[i] * xt[i];
        }
        const float r = 1.0f / sqrtf(ss / (float)n + c->rms_eps);
        const float k = r * r * r / (float)n * dot;
        for (uint32_t i = 0; i < n; i++)
            dxt[i] += r * w[i] * dt[i] - k * xt[i];
    }
}

/* RoPE's backward: the rotation by the opposite angle (adjacent pairs: the
 * trainer runs llama-style models only, train.c). */
static void rope_backward(struct trainer *tr, float *v, uint32_t stride, uint32_t n_heads)
{
    const struct model_config *c = &tr->m->cfg;
    const uint32_t half = c->rope_dim / 2;
    for (uint32_t t = 0; t < tr->ctx; t++)
        ops_rope(v + (size_t)t * stride, tr->rope_cos + (size_t)t * half, tr->rope_sin + (size_t)t * half, n_heads,
                 c->head_dim, c->rope_dim, 0, 1);
}

/* Attention's backward: from dao into dq, dk, dv (zeroed here), per head:
 * dp[i][j] = dout_i . v_j, ds[i][j] = att[i][j] (dp[i][j] - sum_j att dp)
 * * scale (0 past the query), then dv_j += sum_i att[i][j] dout_i,
 * dq_i += sum_j ds[i][j] k_j and dk_j += sum_i ds[i][j] q_i, each in the
 * same groups of FP_ROWS keys or queries as the forward's products. */
static void attention_backward(struct trainer *tr, const struct train_acts *A)
{
    const struct model_config *c = &tr->m->cfg;
    const uint32_t T = tr->ctx, hd = c->head_dim, q_dim = c->n_heads * hd, kv_dim = c->n_kv_heads * hd;
    const uint32_t group = c->n_heads / c->n_kv_heads;
    const float scale = 1.0f / sqrtf((float)hd);
    memset(tr->dq, 0, sizeof(float) * T * q_dim);
    memset(tr->dk, 0, sizeof(float) * T * kv_dim);
    memset(tr->dv, 0, sizeof(float) * T * kv_dim);
    float *ds = tr->dp;
    const float *rows[FP_ROWS];
    for (uint32_t h = 0; h < c->n_heads; h++) {
        const uint32_t kvo = (h / group) * hd, qo = h * hd;
        const float *att = A->att + (size_t)h * T * T;
        for (uint32_t j0 = 0; j0 < T; j0 += FP_ROWS) {
            const uint32_t nr = T - j0 < FP_ROWS ? T - j0 : FP_ROWS;
            fp_row_group(rows, A->v + (size_t)j0 * kv_dim + kvo, kv_dim, nr);
            fp_dot_rows(rows, nr, hd, tr->dao + (size_t)j0 * q_dim + qo, q_dim, T - j0, ds + (size_t)j0 * T + j0, T,
                        1.0f, 0);
        }
        for (uint32_t i = 0; i < T; i++) {
            const float *p = att + (size_t)i * T;
            float *d = ds + (size_t)i * T;
            float sum = 0.0f;
            for (uint32_t j = 0; j <= i; j++)
                sum += p[j] * d[j];
            for (uint32_t j = 0; j <= i; j++)
                d[j] = p[j] * (d[j] - sum) * scale;
            for (uint32_t j = i + 1; j < T; j++)
                d[j] = 0.0f;
        }
        for (uint32_t j0 = 0; j0 < T; j0 += FP_ROWS) {
            const uint32_t n = T - j0 < FP_ROWS ? T - j0 : FP_ROWS;
            const size_t at = (size_t)j0 * T + j0;
            fp_sum_rows(tr->dao + (size_t)j0 * q_dim + qo, q_dim, T - j0, hd, att + at, 1, T, n,
                        tr->dv + (size_t)j0 * kv_dim + kvo, kv_dim, 1.0f);
            fp_sum_rows(A->q + (size_t)j0 * q_dim + qo, q_dim, T - j0, hd, ds + at, 1, T, n,
                        tr->dk + (size_t)j0 * kv_dim + kvo, kv_dim, 1.0f);
        }
        for (uint32_t i0 = 0; i0 < T; i0 += FP_ROWS) {
            const uint32_t n = T - i0 < FP_ROWS ? T - i0 : FP_ROWS;
            fp_sum_rows(A->k + kvo, kv_dim, i0 + n, hd, ds + (size_t)i0 * T, T, 1, n, tr->dq + (size_t)i0 * q_dim + qo,
                        q_dim, 1.0f);
        }
    }
}

/* SwiGLU's backward: h = silu(g) u gives dg = dh u s (1 + g (1 - s)) and
 * du = dh g s, s the sigmoid of g. */
static void swiglu_backward(struct trainer *tr, const struct train_acts *A)
{
    const size_t n = (size_t)tr->ctx * tr->m->cfg.hidden_dim;
    for (size_t i = 0; i < n; i++) {
        const float g = A->gate[i], u = A->up[i], dh = tr->dh[i];
        const float s = 1.0f / (1.0f + ops_exp(-g));
        tr->dgate[i] = dh * u * s * (1.0f + g * (1.0f - s));
        tr->dup[i] = dh * g * s;
    }
}

/* Layer l's backward: tr->dx holds the gradient of its output and receives
 * that of its input. */
static void layer_backward(struct trainer *tr, uint32_t l)
{
    const struct model_config *c = &tr->m->cfg;
    const struct model_layer *L = &tr->m->layers[l];
    const struct train_acts *A = &tr->acts[l];
    const uint32_t T = tr->ctx, dim = c->dim, hid = c->hidden_dim;
    const uint32_t q_dim = c->n_heads * c->head_dim, kv_dim = c->n_kv_heads * c->head_dim;
    /* The feed-forward half: x_out = x_mid + Wdown h. */
    memset(tr->dh, 0, sizeof(float) * T * hid);
    product_t(tr, l, LORA_DOWN, &L->w_down, A->h, hid, tr->dx, dim, tr->dh, hid);
    swiglu_backward(tr, A);
    memset(tr->dxn, 0, sizeof(float) * T * dim);
    product_t(tr, l, LORA_GATE, &L->w_gate, A->xn2, dim, tr->dgate, hid, tr->dxn, dim);
    product_t(tr, l, LORA_UP, &L->w_up, A->xn2, dim, tr->dup, hid, tr->dxn, dim);
    memcpy(tr->dmid, tr->dx, sizeof(float) * T * dim);
    rmsnorm_backward(tr, A->x_mid, L->ffn_norm, tr->dxn, tr->dmid);
    /* The attention half: x_mid = x_in + Wo attention(...). */
    memset(tr->dao, 0, sizeof(float) * T * q_dim);
    product_t(tr, l, LORA_O, &L->wo, A->ao, q_dim, tr->dmid, dim, tr->dao, q_dim);
    attention_backward(tr, A);
    rope_backward(tr, tr->dq, q_dim, c->n_heads);
    rope_backward(tr, tr->dk, kv_dim, c->n_kv_heads);
    memset(tr->dxn, 0, sizeof(float) * T * dim);
    product_t(tr, l, LORA_Q, &L->wq, A->xn1, dim, tr->dq, q_dim, tr->dxn, dim);
    product_t(tr, l, LORA_K, &L->wk, A->xn1, dim, tr->dk, kv_dim, tr->dxn, dim);
    product_t(tr, l, LORA_V, &L->wv, A->xn1, dim, tr->dv, kv_dim, tr->dxn, dim);
    if (l == 0)
        return; /* the embeddings are frozen */
    memcpy(tr->dx, tr->dmid, sizeof(float) * T * dim);
    rmsnorm_backward(tr, A->x_in, L->attn_norm, tr->dxn, tr->dx);
}

void train_backward(struct trainer *tr)
{
    const struct llm_model *m = tr->m;
    const struct model_config *c = &m->cfg;
    const uint32_t T = tr->ctx, dim = c->dim, V = c->n_vocab;
    memset(tr->grad.params, 0, sizeof(float) * tr->grad.n_params);
    /* The loss is the mean over the chunk: d/dlogits = (softmax - onehot) / T. */
    const float inv_t = 1.0f / (float)T;
    for (uint32_t t = 0; t < T; t++) {
        float *g = tr->logits + (size_t)t * V;
        g[tr->tokens[t + 1]] -= 1.0f;
        for (uint32_t i = 0; i < V; i++)
            g[i] *= inv_t;
    }
    memset(tr->dxn, 0, sizeof(float) * T * dim);
    base_product_t(tr, &m->output, tr->logits, V, tr->dxn, dim);
    memset(tr->dx, 0, sizeof(float) * T * dim);
    rmsnorm_backward(tr, tr->x_final, m->output_norm, tr->dxn, tr->dx);
    for (uint32_t l = c->n_layers; l-- > 0;)
        layer_backward(tr, l);
}
