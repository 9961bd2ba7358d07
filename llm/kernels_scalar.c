/* kernels_scalar.c: the portable reference kernels of repack.h's recipe.
 * Every other variant must reproduce these results bit for bit; they also
 * run anywhere (any x86, and the host) as the fallback.
 *
 * Integer sums use uint32_t: the recipe's per-block totals fit in int32, but
 * partial sums (dq * P before mq * S is added) may wrap, which unsigned
 * arithmetic defines and SIMD lanes do anyway.
 */
#include "dispatch.h"

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

static float q4_row(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, uint32_t r)
{
    uint32_t nb = m->cols / 32;
    const uint32_t *words = (const uint32_t *)(m->q + (size_t)g * nb * 128);
    const uint32_t *scales = m->scales + (size_t)g * nb * RQ_ROWS;
    int32_t total = 0;
    for (uint32_t b = 0; b < nb; b++) {
        const int32_t *x = a->q + b * 32;
        uint32_t p = 0;
        for (uint32_t s = 0; s < 4; s++) {
            uint32_t w = words[(b * 4 + s) * RQ_ROWS + r];
            for (uint32_t j = 0; j < 8; j++)
                p += ((w >> (4 * j)) & 15u) * (uint32_t)x[s * 8 + j];
        }
        uint32_t sc = scales[b * RQ_ROWS + r];
        uint32_t dq = (uint32_t)(int32_t)(int16_t)(sc & 0xffffu);
        uint32_t mq = (uint32_t)(int32_t)(int16_t)(sc >> 16);
        total += sar(dq * p + mq * (uint32_t)a->bsum[b], a->shift[b]);
    }
    return finish(total, m->unit[g * RQ_ROWS + r], a);
}

static float q8_row(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, uint32_t r)
{
    uint32_t nb = m->cols / 32;
    const uint8_t *group = m->q + (size_t)g * (m->cols / 4) * 32;
    const uint32_t *scales = m->scales + (size_t)g * nb * RQ_ROWS;
    int32_t total = 0;
    for (uint32_t b = 0; b < nb; b++) {
        uint32_t p = 0;
        for (uint32_t c = b * 32; c < b * 32 + 32; c++) {
            int32_t w = (int32_t)group[(c / 4) * 32 + r * 4 + c % 4] - 128;
            p += (uint32_t)w * (uint32_t)a->q[c];
        }
        uint32_t acc = (uint32_t)sar(p, RQ_Q8_PSHIFT) * scales[b * RQ_ROWS + r];
        total += sar(acc, a->shift[b]);
    }
    return finish(total, m->unit[g * RQ_ROWS + r], a);
}

static void matvec_q4(const struct rq_matrix *m, const struct rq_act *a, float *y)
{
    for (uint32_t r = 0; r < m->rows; r++)
        y[r] = q4_row(m, a, r / RQ_ROWS, r % RQ_ROWS);
}

static void matvec_q8(const struct rq_matrix *m, const struct rq_act *a, float *y)
{
    for (uint32_t r = 0; r < m->rows; r++)
        y[r] = q8_row(m, a, r / RQ_ROWS, r % RQ_ROWS);
}

const struct rq_variant rq_variant_scalar = {
    "scalar", 0, { [RQ_Q4] = matvec_q4, [RQ_Q8] = matvec_q8 },
};
