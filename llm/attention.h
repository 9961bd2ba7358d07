/* attention.h: the KV cache in 16-bit integers and grouped-query attention
 * over it in integer arithmetic.
 *
 * Each cached key and value head vector (head_dim values at one position) is
 * stored as int16 with one float scale: the bytes of an F16 cache plus 3%.
 * The query head is quantized to int16 too, so q.k is an integer dot
 * product; the softmax weights, folded with each position's value scale,
 * become integers summing to about 2^23, so the weighted value sum is integer
 * too. Under emulation this replaces two float operations per
 * multiply-accumulate (each a helper call) by plain integer instructions.
 */
#ifndef LLM_ATTENTION_H
#define LLM_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#define KV_BLOCK 8

/* What one worker needs to attend one query head (one set per worker of
 * llm_parallel_for, so heads run on several CPUs at once). */
struct attn_scratch {
    int16_t *qh, *ql;           /* the quantized query head, high and low byte */
    int32_t *acc_hi;            /* head_dim value sums, high bytes */
    uint32_t *acc_lo;           /* and low bytes */
    float *score;               /* ctx scores, then weights */
    int32_t *w;                 /* ctx integer weights */
    int32_t *qfull;             /* the quantized query head as int32 */
    int32_t *dot_hi, *dot_lo;   /* a block's dot products, high and low parts */
};

struct kv_cache {
    uint32_t ctx, n_layers, n_kv_heads, head_dim;
    /* Keys in blocks of KV_BLOCK positions, the blocks of each layer and kv
     * head in order: [layer][kv head][pos / 8][head_dim / 2][pos % 8][2],
     * so that one vector holds a pair of dimensions for 8 positions and the
     * AVX2 dot product scores 8 positions at once. */
    int16_t *k;
    int16_t *v;                 /* [layer][pos][kv head][head_dim] */
    float *k_scale, *v_scale;   /* [layer][pos][kv head] */
    uint32_t ctx_blocks;        /* ctx / KV_BLOCK, rounded up */
    int16_t *key;               /* scratch of kv_store: one quantized key head before it is spread */
    struct attn_scratch *scratch; /* [llm_parallel_workers()] */
    uint32_t n_scratch;
    int simd;                   /* use attention_avx2.c's loops */
};

/* 0, or -1 when memory does not suffice (nothing left allocated). */
int kv_cache_init(struct kv_cache *kv, uint32_t n_layers, uint32_t ctx, uint32_t n_kv_heads, uint32_t head_dim);
void kv_cache_free(struct kv_cache *kv);

/* Stores this position's keys and values (n_kv_heads * head_dim each). */
void kv_store(struct kv_cache *kv, uint32_t layer, uint32_t pos, const float *k, const float *v);

/* For the n tokens t of a batch at positions pos0 + t (their keys and
 * values already stored): out + t * ostride (n_heads * head_dim) =
 * attention of each query head of q + t * qstride over positions 0..pos0 +
 * t of `layer`, or only the last `window` of them when window > 0 (a
 * sliding-window layer); query head h reads kv head h / (n_heads / n_kv_heads).
 * Scores are scaled by 1/sqrt(head_dim). The n * n_heads heads are shared
 * out with llm_parallel_for; each is computed by one worker alone, so the
 * results do not depend on the number of workers. */
void kv_attention(struct kv_cache *kv, uint32_t layer, uint32_t pos0, uint32_t n, const float *q,
                  size_t qstride, uint32_t n_heads, uint32_t window, float *out, size_t ostride);

#endif
