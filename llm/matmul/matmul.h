/* matmul.h: running the engine's matrix products.
 *
 * Every product of a forward pass comes here. quant_matmul(_many) takes a
 * weight matrix as the model holds it: repacked (repack.h) when it can be,
 * else in its file format (quant.h's portable kernels). The repacked path
 * quantizes the activation vectors once into matmul.c's scratch buffers
 * (sized by matmul_reserve) and runs each format's kernel variant over the
 * matrix's row groups. The variant is the scalar reference until select.h
 * chooses a faster one (matmul_use); they all give the same bits.
 */
#ifndef LLM_MATMUL_H
#define LLM_MATMUL_H

#include <stddef.h>
#include <stdint.h>

#include "matmul/kernels.h"
#include "matmul/quant.h"

/* Runs format `format`'s products with variant v (which provides it). */
void matmul_use(uint32_t format, const struct rq_variant *v);
/* The variant in use for `format`. */
const struct rq_variant *matmul_variant(uint32_t format);

/* Makes rq_matmul ready for vectors of up to `cols` values (its scratch
 * activations, LLM_BATCH of them). 0, or -1 with err set. */
int matmul_reserve(uint32_t cols, char *err, size_t errlen);
/* Bytes of the scratch buffers matmul_reserve(cols) allocates. */
uint64_t matmul_scratch_bytes(uint32_t cols);

/* Row groups g0 .. g1 - 1 (g1 <= m->groups) of m times the n quantized
 * activations a[0..n-1] with v's kernel: rows g0 * RQ_ROWS up to
 * min(g1 * RQ_ROWS, m->rows) of vector i into y[i * ystride + row], each
 * group's weights read from memory once for all n. Disjoint ranges write
 * disjoint rows and read only shared inputs, so ranges may run at once. */
void rq_run_groups(const struct rq_variant *v, const struct rq_matrix *m, const struct rq_act *a, uint32_t n,
                   uint32_t g0, uint32_t g1, float *y, size_t ystride);
/* All of m's groups. */
void rq_variant_matmul(const struct rq_variant *v, const struct rq_matrix *m, const struct rq_act *a, uint32_t n,
                       float *y, size_t ystride);

/* y = m * x for n <= LLM_BATCH vectors of m->cols floats (at most what
 * matmul_reserve allowed), x + i * xstride into y + i * ystride, with the
 * variant in use for m's format. The vectors' quantization and the row
 * groups are shared out with llm_parallel_for; each output is computed by
 * one worker alone, so the results do not depend on their number (the same
 * for quant_matmul_many's repacked products below). */
void rq_matmul(const struct rq_matrix *m, const float *x, size_t xstride, uint32_t n, float *y,
               size_t ystride);

/* w times n <= LLM_BATCH vectors x + i * xstride into out + i * ostride,
 * repacked weights read once for all of them (the results equal n
 * products of one vector). qa: room for w->cols / QK activation blocks, for
 * the weights that are not repacked. */
void quant_matmul(const struct qtensor *w, struct qact_block *qa, const float *x, uint32_t xstride,
                  uint32_t n, float *out, uint32_t ostride);

/* Several matrices of as many columns applied to the same n vectors (Q, K
 * and V; gate and up), each into its out + i * ostride: repacked ones share
 * one quantization of the vectors. At most QUANT_PRODUCTS_MAX share it;
 * more are still computed, one by one. */
#define QUANT_PRODUCTS_MAX 4
struct quant_product {
    const struct qtensor *w;
    float *out;
    uint32_t ostride;
};
void quant_matmul_many(const struct quant_product *p, uint32_t count, struct qact_block *qa, const float *x,
                       uint32_t xstride, uint32_t n);

#endif
