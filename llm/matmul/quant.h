/* quant.h: ggml's weight block formats as they are in a model file:
 * dequantization, activation blocks and the portable dot-product kernels.
 *
 * Weights stay in their file format (ggml's block layouts). A product with
 * such a matrix first prepares the activation vector once (quant_act_prepare:
 * it is quantized to integer blocks of 32 with a float scale and the scaled
 * block sum, the layout of llama.cpp's Q8_0/Q8_1) and then runs integer dot
 * products per row. The block values are 16-bit, not llama.cpp's 8: on
 * SmolLM2 8-bit blocks alone move the logits by KL up to 0.02 from the float
 * model, 16-bit ones by 2e-6, for the same integer work in scalar C.
 * Matrices of the formats rq_repackable names are repacked (repack.h) and run by the
 * faster kernels instead; matmul.h's quant_matmul chooses the path.
 */
#ifndef LLM_QUANT_H
#define LLM_QUANT_H

#include <stddef.h>
#include <stdint.h>

/* ggml tensor type ids, as stored in GGUF. */
enum quant_type {
    QT_F32 = 0, QT_F16 = 1, QT_Q4_0 = 2, QT_Q4_1 = 3,
    QT_Q5_0 = 6, QT_Q5_1 = 7, QT_Q8_0 = 8,
    QT_Q4_K = 12, QT_Q5_K = 13, QT_Q6_K = 14,
    QT_BF16 = 30,
    QT_COUNT = 31
};

#define QK 32    /* elements per block of Q4_0 ... Q8_0, and per activation block */
#define QK_K 256 /* elements per super-block of the K-quants (Q4_K, Q5_K, Q6_K) */

/* An activation block: x[i] ~= d * qs[i], d = amax / 32767; s = d * sum(qs). */
#define QACT_MAX 32767
struct qact_block {
    float d;
    float s;
    int16_t qs[QK];
};

/* A prepared activation vector: the floats (for F32/F16 and repacked
 * weights) and their integer blocks (for block-quantized weights, whose rows
 * are whole blocks), filled by the first product that needs them. */
struct quant_act {
    const float *f;
    struct qact_block *q;
    uint32_t n;
    int quantized; /* q holds x's blocks */
};

struct rq_matrix;

/* A 2-D weight matrix used in place: rows of `cols` elements, row_bytes apart. */
struct qtensor {
    uint32_t type;
    uint32_t rows, cols;
    uint32_t row_bytes;
    const uint8_t *data;
    struct rq_matrix *packed; /* repacked for the integer kernels (repack.h), or NULL */
};

/* Whether the engine reads `type` (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1,
 * Q8_0, Q4_K, Q5_K, Q6_K). */
int quant_supported(uint32_t type);

/* Name of any ggml type id (also unsupported ones, for error messages). */
const char *quant_type_name(uint32_t type);

/* Bytes of a row of `elems` elements of `type`; 0 when the type is unsupported
 * or elems is not a whole number of blocks. */
uint64_t quant_row_bytes(uint32_t type, uint32_t elems);

/* Points a at x (n values; a->q must have room for n/QK blocks). */
void quant_act_prepare(struct quant_act *a, const float *x, uint32_t n);
/* Fills a->q with the whole blocks of x, once (quant_matvec_portable calls
 * it when the format needs it: float weights do not). */
void quant_act_quantize(struct quant_act *a);

/* out[r] = row r of w . activation, for every row, with the portable kernel
 * of w's file format (w->packed is not looked at: matmul.h's entry points
 * take the repacked path when there is one). */
void quant_matvec_portable(const struct qtensor *w, struct quant_act *a, float *out);

/* The 32 signed quants q of one Q4_0, Q5_0 or Q8_0 block (x = q * d, d the
 * block's leading f16): q - 8, q - 16 or the int8 itself. */
void quant_block_int8(uint32_t type, const uint8_t *block, int8_t q[QK]);

/* The affine types (Q4_1, Q5_1, Q4_K, Q5_K, Q6_K): per sub-block of `sub`
 * elements a float scale d and minimum m, x = d * (q - offset) + m with
 * unsigned quants q <= qmax. */
struct quant_affine {
    uint32_t sub, offset, qmax;
};
/* `type`'s shape, or NULL when it is not affine. */
const struct quant_affine *quant_affine_shape(uint32_t type);
/* One block of an affine type: its quants in element order into q (unless
 * q is NULL) and its sub-blocks' d and m, computed in float as ggml's
 * dequantization computes them (d * sc and -(dmin * m) for Q4_K / Q5_K,
 * d * sc for Q6_K), so they are the same numbers. */
void quant_block_affine(uint32_t type, const uint8_t *block, uint8_t *q, float *d, float *m);

/* Dequantizes n elements (whole blocks) of a supported `type`. */
void quant_dequant(uint32_t type, const void *blocks, float *out, uint32_t n);
/* Dequantizes row `r` of w into out (w->cols floats). */
void quant_dequant_row(const struct qtensor *w, uint32_t r, float *out);

float quant_f16_to_f32(uint16_t h);
/* Round to nearest even, overflow to infinity. */
uint16_t quant_f32_to_f16(float f);

#endif
