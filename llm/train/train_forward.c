/* train_forward.c: the training forward pass over one chunk of tokens,
 * keeping what the backward pass needs (trainer.h).
 *
 * The same network as model.c (RMSNorm, RoPE on adjacent pairs, causal
 * grouped-query attention, SwiGLU, the adapter's products), over the whole
 * chunk at once: positions 0 .. ctx - 1, every token attending to those
 * before it, all in float32 with expf (the gradients of a 30-layer model
 * amplify the forward's errors a hundredfold: the inference shortcuts,
 * integer activations and table exponentials, would cost two digits). The
 * base products are float32 dot products with each weight row dequantized,
 * or, in int_kernels mode, the engine's integer kernels (quant_matmul in
 * batches of LLM_BATCH, activations in 12-bit blocks) for the products
 * where their error stays small (TRAIN_INT_TARGETS). Attention keeps its
 * weights (the inference KV cache is integer and keeps none).
 */
#include "train/trainer.h"

#include "ops.h"
#include "params.h"
#include "platform.h"
#include "matmul/matmul.h"

/* The layer products int_kernels mode runs with the integer kernels (the
 * output matrix too): q, k and o. Measured on SmolLM2 (ctx 16, rank 8 on
 * q,v; the worst relative L2 error of a LoRA gradient against torch float32
 * with that product alone in integers): q 4.3e-3, k 4.6e-3, o 4.8e-3, up
 * 6.1e-3, gate 1.2e-2, down 1.6e-2, v 2.5e-2, the output matrix 1.9e-3;
 * all of them 4.4e-2, these 6.3e-3. */
#define TRAIN_INT_TARGETS ((1u << LORA_Q) | (1u << LORA_K) | (1u << LORA_O))

/* out + t * ostride = w . (x + t * xstride) for the ctx tokens: with the
 * integer kernels when `integer`, else in float32, FP_ROWS rows dequantized,
 * then their dot products with every token (fp_dot_rows). */
static void base_product(struct trainer *tr, const struct qtensor *w, int integer, const float *x,
                         uint32_t xstride, float *out, uint32_t ostride)
{
    if (integer) {
        for (uint32_t t0 = 0; t0 < tr->ctx; t0 += LLM_BATCH) {
            uint32_t n = tr->ctx - t0 < LLM_BATCH ? tr->ctx - t0 : LLM_BATCH;
            quant_matmul(w, tr->qa, x + (size_t)t0 * xstride, xstride, n, out + (size_t)t0 * ostride, ostride);
        }
        return;
    }
    for (uint32_t r0 = 0; r0 < w->rows; r0 += FP_ROWS) {
        const uint32_t nr = w->rows - r0 < FP_ROWS ? w->rows - r0 : FP_ROWS;
        const float *rows[FP_ROWS];
        for (uint32_t i = 0; i < FP_ROWS; i++) {
            float *row = tr->row + (size_t)i * tr->row_stride;
            if (i < nr)
                quant_dequant_row(w, r0 + i, row);
            rows[i] = row; /* past the last row: computed, not stored */
        }
        fp_dot_rows(rows, nr, w->cols, x, xstride, tr->ctx, out + r0, ostride, 1.0f, 0);
    }
}

/* The base product and the adapter's, A x kept. */
static void product(struct trainer *tr, uint32_t l, uint32_t target, const struct qtensor *w, const float *x,
                    uint32_t xstride, float *out, uint32_t ostride)
{
    base_product(tr, w, tr->int_kernels && (TRAIN_INT_TARGETS >> target & 1), x, xstride, out, ostride);
    lora_apply(tr->ad, l, target, x, xstride, tr->ctx, out, ostride, tr->acts[l].u[target]);
}

/* Causal attention of the chunk: att[h][i][j] (j <= i) the softmax weights,
 * ao[i] head h = sum_j att[h][i][j] v[j] of h's kv head. The products are
 * float_products.h's over the chunk: the scores of FP_ROWS keys j0 .. with
 * the queries from j0 on, the outputs of FP_ROWS queries i0 .. over the keys
 * up to theirs (the weights past a query are 0). */
static void attention(struct trainer *tr, struct train_acts *A)
{
    const struct model_config *c = &tr->m->cfg;
    const uint32_t T = tr->ctx, hd = c->head_dim, q_dim = c->n_heads * hd, kv_dim = c->n_kv_heads * hd;
    const uint32_t group = c->n_heads / c->n_kv_heads;
    const float scale = 1.0f / sqrtf((float)hd);
    const float *rows[FP_ROWS];
    for (uint32_t h = 0; h < c->n_heads; h++) {
        const uint32_t kvo = (h / group) * hd;
        float *att = A->att + (size_t)h * T * T;
        for (uint32_t j0 = 0; j0 < T; j0 += FP_ROWS) {
            const uint32_t nr = T - j0 < FP_ROWS ? T - j0 : FP_ROWS;
            fp_row_group(rows, A->k + (size_t)j0 * kv_dim + kvo, kv_dim, nr);
            fp_dot_rows(rows, nr, hd, A->q + (size_t)j0 * q_dim + h * hd, q_dim, T - j0, att + (size_t)j0 * T + j0,
                        T, scale, 0);
        }
        for (uint32_t i = 0; i < T; i++) {
            float *p = att + (size_t)i * T;
            float mx = -3.0e38f;
            for (uint32_t j = 0; j <= i; j++)
                if (p[j] > mx)
                    mx = p[j];
            float sum = 0.0f;
            for (uint32_t j = 0; j <= i; j++) {
                p[j] = expf(p[j] - mx);
                sum += p[j];
            }
            for (uint32_t j = 0; j <= i; j++)
                p[j] /= sum;
            for (uint32_t j = i + 1; j < T; j++)
                p[j] = 0.0f;
            memset(A->ao + (size_t)i * q_dim + h * hd, 0, sizeof(float) * hd);
        }
        for (uint32_t i0 = 0; i0 < T; i0 += FP_ROWS) {
            const uint32_t n = T - i0 < FP_ROWS ? T - i0 : FP_ROWS;
            fp_sum_rows(A->v + kvo, kv_dim, i0 + n, hd, att + (size_t)i0 * T, T, 1, n,
                        A->ao + (size_t)i0 * q_dim + h * hd, q_dim, 1.0f);
        }
    }
}

/* h = silu(gate) * up with the sigmoid from expf (ops_swiglu's table is
 * within 2.3e-7, which the gradients of a deep model amplify). */
static void swiglu(struct train_acts *A, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const float g = A->gate[i];
        A->h[i] = g / (1.0f + expf(-g)) * A->up[i];
    }
}

/* Layer l from A->x_in into x_out. */
static void layer(struct trainer *tr, uint32_t l, float *x_out)
{
    const struct model_config *c = &tr->m->cfg;
    const struct model_layer *L = &tr->m->layers[l];
    struct train_acts *A = &tr->acts[l];
    const uint32_t T = tr->ctx, dim = c->dim, hid = c->hidden_dim, half = c->rope_dim / 2;
    const uint32_t q_dim = c->n_heads * c->head_dim, kv_dim = c->n_kv_heads * c->head_dim;
    for (uint32_t t = 0; t < T; t++)
        ops_rmsnorm(A->xn1 + (size_t)t * dim, A->x_in + (size_t)t * dim, L->attn_norm, dim, c->rms_eps);
    product(tr, l, LORA_Q, &L->wq, A->xn1, dim, A->q, q_dim);
    product(tr, l, LORA_K, &L->wk, A->xn1, dim, A->k, kv_dim);
    product(tr, l, LORA_V, &L->wv, A->xn1, dim, A->v, kv_dim);
    for (uint32_t t = 0; t < T; t++) {
        const float *cs = tr->rope_cos + (size_t)t * half, *sn = tr->rope_sin + (size_t)t * half;
        ops_rope(A->q + (size_t)t * q_dim, cs, sn, c->n_heads, c->head_dim, c->rope_dim, 0, 0);
        ops_rope(A->k + (size_t)t * kv_dim, cs, sn, c->n_kv_heads, c->head_dim, c->rope_dim, 0, 0);
    }
    attention(tr, A);
    product(tr, l, LORA_O, &L->wo, A->ao, q_dim, A->x_mid, dim);
    ops_add(A->x_mid, A->x_in, T * dim);
    for (uint32_t t = 0; t < T; t++)
        ops_rmsnorm(A->xn2 + (size_t)t * dim, A->x_mid + (size_t)t * dim, L->ffn_norm, dim, c->rms_eps);
    product(tr, l, LORA_GATE, &L->w_gate, A->xn2, dim, A->gate, hid);
    product(tr, l, LORA_UP, &L->w_up, A->xn2, dim, A->up, hid);
    swiglu(A, (size_t)T * hid);
    product(tr, l, LORA_DOWN, &L->w_down, A->h, hid, x_out, dim);
    ops_add(x_out, A->x_mid, T * dim);
}

/* -log softmax(logits)[target], and the softmax left in logits. The sum
 * of the exponentials is a double: in float, the vocabulary's many tiny
 * terms fall below half a unit of the running sum and are rounded away,
 * which lowered SmolLM2's loss by 1e-4. */
static float cross_entropy(float *logits, uint32_t n, int32_t target)
{
    float mx = logits[0];
    for (uint32_t i = 1; i < n; i++)
        if (logits[i] > mx)
            mx = logits[i];
    float target_logit = logits[target];
    double sum = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        logits[i] = expf(logits[i] - mx);
        sum += logits[i];
    }
    for (uint32_t i = 0; i < n; i++)
        logits[i] = (float)(logits[i] / sum);
    return logf((float)sum) + mx - target_logit;
}

float train_forward(struct trainer *tr, const int32_t *tokens)
{
    const struct llm_model *m = tr->m;
    const struct model_config *c = &m->cfg;
    const uint32_t T = tr->ctx, dim = c->dim;
    tr->tokens = tokens;
    for (uint32_t t = 0; t < T; t++)
        quant_dequant_row(&m->tok_embd, (uint32_t)tokens[t], tr->acts[0].x_in + (size_t)t * dim);
    for (uint32_t l = 0; l < c->n_layers; l++)
        layer(tr, l, l + 1 < c->n_layers ? tr->acts[l + 1].x_in : tr->x_final);
    for (uint32_t t = 0; t < T; t++)
        ops_rmsnorm(tr->xnf + (size_t)t * dim, tr->x_final + (size_t)t * dim, m->output_norm, dim, c->rms_eps);
    base_product(tr, &m->output, tr->int_kernels, tr->xnf, dim, tr->logits, c->n_vocab);
    float loss = 0.0f;
    for (uint32_t t = 0; t < T; t++)
        loss += cross_entropy(tr->logits + (size_t)t * c->n_vocab, c->n_vocab, tokens[t + 1]);
    return loss / (float)T;
}
