/* repack.h: weight matrices rearranged at load time for the integer
 * matrix-vector kernels, and the one numeric recipe every kernel variant
 * implements bit for bit.
 *
 * The recipe (so that the scalar, SSE2 and AVX2 kernels, in the OS or on the
 * host, produce identical floats and therefore identical tokens):
 *
 *  - Activations: each chunk c of RQ_CHUNK consecutive values gets a
 *    power-of-two step 2^e_c, the smallest with amax_c / 2^e_c <= RQ_AMAX;
 *    values become integers q = round(x / 2^e_c). 8-bit blocks (llama.cpp's
 *    Q8_0) lose too much on this model's activations; 12-13 bits per chunk
 *    of 128 keep the logits within KL 1e-4 of the float reference. Powers of
 *    two let the chunks be combined with integer shifts: floats cost tens of
 *    nanoseconds each under emulation.
 *  - Weights: every row gets one float unit U and integer weights W with
 *    |W| <= RQ_WMAX, w ~= U * W. Q4_1 keeps its 4-bit quants and turns each
 *    block's d and m into integers: W = dq * q + mq. Q8_0 rows are
 *    requantized to int8 with a per-row unit.
 *  - Per row: acc_c = sum over chunk c of q * W, a 32-bit integer (exact:
 *    128 * 4095 * 4095 < 2^31, so every summation order gives the same value,
 *    modulo-2^32 intermediate wraps included); total = sum over c of
 *    (acc_c >> shift_c) (arithmetic shift, shift_c = min(31, E - e_c + G),
 *    E = max e_c, G guard bits so that the sum fits: 2^G >= chunks);
 *    y = ((float)total * U) * 2^(E + G).
 *
 * Layouts, rows in groups of RQ_ROWS (the last group padded with zero rows):
 *  - RQ_Q4: for group g and 32-column block b, 128 bytes at
 *    q + (g * blocks + b) * 128: four 8-column sub-blocks, each eight 32-bit
 *    words (one per row) whose bits 4j..4j+3 hold column 8 * sub + j;
 *    scales[(g * blocks + b) * 8 + r] = (uint16)dq | mq << 16.
 *  - RQ_Q8: for group g and 4-column quad c, 32 bytes at
 *    q + (g * cols / 4 + c) * 32: eight 32-bit words (one per row), byte j
 *    holding column 4 * c + j as W + 128 (unsigned).
 */
#ifndef LLM_REPACK_H
#define LLM_REPACK_H

#include <stddef.h>
#include <stdint.h>

#include "quant.h"

#define RQ_ROWS 8
#define RQ_CHUNK 128
#define RQ_AMAX 4095
#define RQ_WMAX 4095

enum rq_format { RQ_Q4 = 0, RQ_Q8 = 1, RQ_FORMATS };

struct rq_matrix {
    uint32_t format;
    uint32_t rows, cols;  /* cols: a multiple of 32 */
    uint32_t groups;      /* ceil(rows / RQ_ROWS) */
    float *unit;          /* [groups * RQ_ROWS], 0 for padding rows */
    uint32_t *scales;     /* RQ_Q4 only */
    uint8_t *q;
};

/* A quantized activation vector. Buffers sized for `cap` values.
 *
 * t4 and t8 let SIMD kernels take packed fields with one shift instead of a
 * shift and a mask: for a word holding fields f_j of k bits, f_j = (w >> kj)
 * - 2^k (w >> k(j+1)) (logical shifts), so sum f_j q_j = sum (w >> kj) t_j
 * with t_j = q_j - 2^k q_(j-1) (t_0 = q_0), exactly, modulo 2^32. */
struct rq_act {
    uint32_t n, cap;
    int32_t *q;           /* [n] */
    int32_t *t4;          /* [n] the transform for 8 nibbles per word */
    int32_t *t8;          /* [n] the transform for 4 bytes per word */
    int32_t *bsum;        /* [n / 32] sums of q per 32-value block */
    int32_t *csum;        /* [chunks] sums of q per chunk */
    int32_t *shift;       /* [chunks] shift_c */
    float p2;             /* 2^(E + G), or NaN when x had a non-finite value */
};

/* Repacks a Q4_1 or Q8_0 matrix (other types: error). Returns a new matrix
 * or NULL with err set (out of memory, non-finite scales, shape). */
struct rq_matrix *rq_repack(const struct qtensor *t, char *err, size_t errlen);
void rq_free(struct rq_matrix *m);
/* Bytes the repacked matrix occupies. */
size_t rq_bytes(const struct rq_matrix *m);

/* Allocates buffers for up to cap values (a multiple of 32). 0 or -1. */
int rq_act_init(struct rq_act *a, uint32_t cap);
void rq_act_free(struct rq_act *a);
/* Quantizes x[0..n-1] (n <= cap, a multiple of 32) by the recipe above. */
void rq_act_quantize(struct rq_act *a, const float *x, uint32_t n);

#endif
