/* trainer.h: the inside of a trainer, shared by the files of one training
 * step: train.c (buffers, optimizer), train_forward.c and train_backward.c.
 *
 * The forward pass keeps, per layer and for the ctx tokens of the chunk,
 * what the backward pass reads: the layer's input, both normed vectors,
 * Q and K after RoPE, V, the attention weights, the attention output, the
 * residual between the halves, the gate and up values before SwiGLU and its
 * output, and A x of every adapted product.
 */
#ifndef LLM_TRAIN_TRAINER_H
#define LLM_TRAIN_TRAINER_H

#include <stdint.h>

#include "model.h"
#include "train/float_products.h"
#include "train/lora.h"
#include "train/train.h"

/* Weight rows the transposed products dequantize and sum at once, apart
 * from the total (train_backward.c). */
#define TRAIN_T_BLOCK 64

struct train_acts {
    float *x_in, *xn1, *q, *k, *v, *att, *ao, *x_mid, *xn2, *gate, *up, *h;
    float *u[LORA_TARGETS]; /* ctx * rank each, NULL for the targets not adapted */
};

struct trainer {
    const struct llm_model *m;
    struct lora_adapter *ad;
    struct lora_adapter grad, adam_m, adam_v;
    uint32_t ctx, steps_done;
    int int_kernels;          /* TRAIN_INT_TARGETS and the output with quant_matmul */
    struct train_acts *acts;  /* [n_layers] */
    float *x_final, *xnf;     /* ctx * dim */
    float *logits;            /* ctx * n_vocab, then their gradient */
    float *rope_cos, *rope_sin, *inv_freq;
    /* The backward pass's gradients, per token of the chunk. */
    float *dx, *dmid, *dxn, *dh, *dgate, *dup, *dq, *dk, *dv, *dao;
    float *gu;                /* ctx * rank: f B^T dy of each token */
    float *dp;                /* ctx * ctx: one head's attention score gradients */
    float *row;               /* TRAIN_T_BLOCK dequantized weight rows, row_stride floats apart */
    uint32_t row_stride;
    struct qact_block *qa;
    void *arena;
    const int32_t *tokens;    /* the chunk of the step being computed */
};

/* The forward pass over tokens[0 .. ctx - 1], keeping the activations; the
 * mean cross-entropy of predicting tokens[1 .. ctx]. */
float train_forward(struct trainer *tr, const int32_t *tokens);
/* The gradients of that loss into tr->grad (overwritten). */
void train_backward(struct trainer *tr);

#endif
