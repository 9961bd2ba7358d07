/* float_products.h: the float32 matrix products of the training and of the
 * LoRA adapters, in a summation order fixed by the code alone.
 *
 * Both products work on many vectors at once (the tokens of a chunk, or a
 * matrix's rows), in register tiles: each weight value loaded is used for
 * several vectors and each vector value for several weights, which is what
 * makes them fast, while every output is still the sum of its own terms in
 * the order given below whatever the tile it falls in. No multiply is fused
 * with an add (-ffp-contract=off) and every vector operation is
 * element-wise, so every build computes the same bits whatever its vector
 * width (float_products.c).
 */
#ifndef LLM_TRAIN_FLOAT_PRODUCTS_H
#define LLM_TRAIN_FLOAT_PRODUCTS_H

#include <stddef.h>
#include <stdint.h>

/* Rows fp_dot_rows takes at once. */
#define FP_ROWS 4

/* The row pointers for fp_dot_rows of nr <= FP_ROWS rows stride floats
 * apart from `first`; the missing ones repeat the first. */
static inline void fp_row_group(const float *rows[FP_ROWS], const float *first, size_t stride, uint32_t nr)
{
    for (uint32_t i = 0; i < FP_ROWS; i++)
        rows[i] = first + (i < nr ? i : 0) * stride;
}

/* Dot products of nr <= FP_ROWS rows (cols floats each) with n vectors
 * x + t * xs: s = rows[i] . x_t, then out[t * os + i] = f * s, or
 * out[t * os + i] += f * s when `accumulate`. Each dot product sums lane j
 * over the columns j mod 8 in column order, adds the eight lanes as
 * ((0+4) + (2+6)) + ((1+5) + (3+7)), then the last cols mod 8 products in
 * order. rows[nr .. FP_ROWS - 1] must be readable (their results are
 * computed and dropped). */
void fp_dot_rows(const float *const rows[FP_ROWS], uint32_t nr, uint32_t cols, const float *x, size_t xs,
                 uint32_t n, float *out, size_t os, float f, int accumulate);

/* Weighted sums of nr rows (cols floats each, rows + i * rs) for n outputs:
 * out[o * os + c] += f * s with s = the sum over i = 0 .. nr - 1, in that
 * order and from 0, of g(o, i) * row_i[c], g(o, i) = g[o * go + i * gi].
 * With the rows of a weight matrix W and g(t, i) the output gradient of
 * token t, out receives W^T g. */
void fp_sum_rows(const float *rows, size_t rs, uint32_t nr, uint32_t cols, const float *g, size_t go, size_t gi,
                 uint32_t n, float *out, size_t os, float f);

#endif
