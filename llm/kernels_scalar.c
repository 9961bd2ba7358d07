/* kernels_scalar.c: the portable reference kernels of repack.h's recipe.
 * Every other variant must reproduce these results bit for bit; they also
 * run anywhere (any x86, and the host) as the fallback.
 *
 * Integer sums use uint32_t: the recipe's per-chunk totals fit in int32, but
 * partial sums (dq * P before mq * S is added) may wrap, which unsigned
 * arithmetic defines and SIMD lanes do anyway.
 */
#include "dispatch.h"

#define BLOCKS_PER_CHUNK (RQ_CHUNK / 32)

/* The recipe's last step, shared by both formats. */
static float finish(int32_t total, float unit, const struct rq_act *a)
{
    return (float)total * unit * a->p2;
}

/* Arithmetic shift of a chunk total (well defined for negative values). */
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
    for (uint32_t b0 = 0; b0 < nb; b0 += BLOCKS_PER_CHUNK) {
        uint32_t acc = 0;
        for (uint32_t b = b0; b < b0 + BLOCKS_PER_CHUNK && b < nb; b++) {
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
            acc += dq * p + mq * (uint32_t)a->bsum[b];
        }
        total += sar(acc, a->shift[b0 / BLOCKS_PER_CHUNK]);
    }
    return finish(total, m->unit[g * RQ_ROWS + r], a);
}

static float q8_row(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, uint32_t r)
{
    const uint8_t *group = m->q + (size_t)g * (m->cols / 4) * 32;
    int32_t total = 0;
    for (uint32_t c0 = 0; c0 < m->cols; c0 += RQ_CHUNK) {
        uint32_t acc = 0;
        for (uint32_t c = c0; c < c0 + RQ_CHUNK && c < m->cols; c++) {
            int32_t w = (int32_t)group[(c / 4) * 32 + r * 4 + c % 4] - 128;
            acc += (uint32_t)w * (uint32_t)a->q[c];
        }
        total += sar(acc, a->shift[c0 / RQ_CHUNK]);
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
