/* kernels_scalar.c: the portable reference kernels of repack.h's recipe.
 * Every other variant must reproduce these results bit for bit; they also
 * run anywhere (any x86, and the host) as the fallback.
 *
 * Integer sums use uint32_t: the recipe's per-block totals fit in int32, but
 * partial sums (dq * P before mq * S is added) may wrap, which unsigned
 * arithmetic defines and SIMD lanes do anyway.
 */
#include "dispatch.h"

/* GCC's vectorizer would turn these loops into legacy SSE2 code, which QEMU
 * emulates through slow helper calls; plain integer code is what it runs
 * fast. */
#pragma GCC optimize("no-tree-vectorize")

/* The recipe's last step, shared by both formats. */
static float finish(int32_t total, float unit, const struct rq_act *a)
{
    return (float)total * unit * a->p2;
}

/* Arithmetic shift of a block total (well defined for negative values). */
static int32_t sar(uint32_t v, int32_t s)
{
    int32_t x = (int32_t)v;
    return x < 0 ? ~(~x >> s) : x >> s;
}

/* sum_j field_j * q_j for the fields of one word, through rq_act's
 * transformed activations: a shift, a multiply and an add per field, no
 * mask, no loop and no call (each ends a translated block under emulation). */
static inline __attribute__((always_inline)) uint32_t dot_nibbles(uint32_t w, const int32_t *t)
{
    return w * (uint32_t)t[0] + (w >> 4) * (uint32_t)t[1] + (w >> 8) * (uint32_t)t[2] +
           (w >> 12) * (uint32_t)t[3] + (w >> 16) * (uint32_t)t[4] + (w >> 20) * (uint32_t)t[5] +
           (w >> 24) * (uint32_t)t[6] + (w >> 28) * (uint32_t)t[7];
}

static inline __attribute__((always_inline)) uint32_t dot_bytes(uint32_t w, const int32_t *t)
{
    return w * (uint32_t)t[0] + (w >> 8) * (uint32_t)t[1] + (w >> 16) * (uint32_t)t[2] +
           (w >> 24) * (uint32_t)t[3];
}

static float q4_row(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, uint32_t r)
{
    uint32_t nb = m->cols / 32;
    const uint32_t *words = (const uint32_t *)(m->q + (size_t)g * nb * 128) + r;
    const uint32_t *scales = m->scales + (size_t)g * nb * RQ_ROWS + r;
    int32_t total = 0;
    for (uint32_t b = 0; b < nb; b++, words += 4 * RQ_ROWS, scales += RQ_ROWS) {
        const int32_t *t = a->t4 + b * 32;
        uint32_t p = dot_nibbles(words[0], t) + dot_nibbles(words[RQ_ROWS], t + 8) +
                     dot_nibbles(words[2 * RQ_ROWS], t + 16) + dot_nibbles(words[3 * RQ_ROWS], t + 24);
        uint32_t dq = (uint32_t)(int32_t)(int16_t)(*scales & 0xffffu);
        uint32_t mq = (uint32_t)(int32_t)(int16_t)(*scales >> 16);
        total += sar(dq * p + mq * (uint32_t)a->bsum[b], a->shift[b]);
    }
    return finish(total, m->unit[g * RQ_ROWS + r], a);
}

static float q8_row(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, uint32_t r)
{
    uint32_t nb = m->cols / 32;
    const uint32_t *words = (const uint32_t *)(m->q + (size_t)g * (m->cols / 4) * 32) + r;
    const uint32_t *scales = m->scales + (size_t)g * nb * RQ_ROWS + r;
    int32_t total = 0;
    for (uint32_t b = 0; b < nb; b++, words += 8 * RQ_ROWS, scales += RQ_ROWS) {
        const int32_t *t = a->t8 + b * 32;
        /* Bytes are stored as q + 128. */
        uint32_t p = 0u - 128u * (uint32_t)a->bsum[b];
        for (uint32_t k = 0; k < 8; k++)
            p += dot_bytes(words[k * RQ_ROWS], t + 4 * k);
        total += sar((uint32_t)sar(p, RQ_Q8_PSHIFT) * *scales, a->shift[b]);
    }
    return finish(total, m->unit[g * RQ_ROWS + r], a);
}

/* n activations (a[0..n-1]) into y + i * ystride: rows outer, vectors
 * inner, so each row's weights are read from memory once for all of them. */
static void matmul_q4(const struct rq_matrix *m, const struct rq_act *a, uint32_t n, float *y, size_t ystride)
{
    for (uint32_t r = 0; r < m->rows; r++)
        for (uint32_t i = 0; i < n; i++)
            y[i * ystride + r] = q4_row(m, a + i, r / RQ_ROWS, r % RQ_ROWS);
}

static void matmul_q8(const struct rq_matrix *m, const struct rq_act *a, uint32_t n, float *y, size_t ystride)
{
    for (uint32_t r = 0; r < m->rows; r++)
        for (uint32_t i = 0; i < n; i++)
            y[i * ystride + r] = q8_row(m, a + i, r / RQ_ROWS, r % RQ_ROWS);
}

static void matvec_q4(const struct rq_matrix *m, const struct rq_act *a, float *y)
{
    matmul_q4(m, a, 1, y, 0);
}

static void matvec_q8(const struct rq_matrix *m, const struct rq_act *a, float *y)
{
    matmul_q8(m, a, 1, y, 0);
}

const struct rq_variant rq_variant_scalar = {
    "scalar", 0, 0, { [RQ_Q4] = matvec_q4, [RQ_Q8] = matvec_q8 },
    { [RQ_Q4] = matmul_q4, [RQ_Q8] = matmul_q8 },
};
