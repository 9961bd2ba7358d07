/* kernels_sse2.c: the SSE2 kernels of repack.h's recipe, for x86 CPUs
 * without AVX2 (every i686 MyOS accepts has SSE2).
 *
 * SSE2 has no 32-bit lane multiply, so this is the pmaddwd form of
 * kernels_avx2.c's avx2-madd variant on 128-bit registers: an 8-row group
 * is two registers of four 32-bit lanes (rows 0-3 and 4-7); a mask leaves
 * two 4-bit (8-bit) fields in the 16-bit halves of each lane and pmaddwd
 * multiplies them by a broadcast pair of activations (rq_act's m4/m8), so
 * every instruction does eight multiply-accumulates. On a real CPU that is
 * several times the scalar speed. Under QEMU's emulation legacy SSE
 * instructions are slow helper calls and measurement picks the scalar
 * kernels instead. Results equal kernels_scalar.c's bit for bit.
 */
#include "matmul/kernels.h"
#include "platform.h"

#if !__STDC_HOSTED__
#define _MM_MALLOC_H_INCLUDED /* see kernels_avx2.c */
#endif
#include <emmintrin.h>

/* Arithmetic right shift of each lane by the block's shift. */
static __m128i shift_block(__m128i acc, int32_t s)
{
    return _mm_sra_epi32(acc, _mm_cvtsi32_si128(s));
}

/* Lane-wise wrapping 32-bit products. SSE2 has no 32-bit lane multiply:
 * pmuludq multiplies the even lanes (then the odd ones, shifted down) into
 * 64 bits, whose low halves are the recipe's wrapping products. */
static __m128i mul_lanes(__m128i x, __m128i y)
{
    __m128i even = _mm_mul_epu32(x, y);
    __m128i odd = _mm_mul_epu32(_mm_srli_epi64(x, 32), _mm_srli_epi64(y, 32));
    /* Lanes 0 and 2 from the even products, 1 and 3 from the odd ones. */
    return _mm_unpacklo_epi32(_mm_shuffle_epi32(even, 0x08), _mm_shuffle_epi32(odd, 0x08));
}

/* dq * P + mq * S for four rows (sc: their packed scales), wrapping. */
static __m128i q4_acc(__m128i p, __m128i sc, int32_t sum)
{
    __m128i dq = _mm_srai_epi32(_mm_slli_epi32(sc, 32 - RQ_MQ_SHIFT), 32 - RQ_MQ_SHIFT);
    __m128i mq = _mm_srai_epi32(sc, RQ_MQ_SHIFT);
    return _mm_add_epi32(mul_lanes(dq, p), mul_lanes(mq, _mm_set1_epi32(sum)));
}

/* acc_b = dq * P + mq * S, shifted into the running total. */
static __m128i q4_block_total(__m128i total, __m128i p, __m128i sc, const struct rq_act *a, uint32_t b)
{
    return _mm_add_epi32(total, shift_block(q4_acc(p, sc, a->bsum[b]), a->shift[b]));
}

/* The same for Q8: acc_b = (P >> 5) * dq. */
static __m128i q8_block_total(__m128i total, __m128i p, __m128i dq, const struct rq_act *a, uint32_t b)
{
    __m128i acc = mul_lanes(_mm_srai_epi32(p, RQ_Q8_PSHIFT), dq);
    return _mm_add_epi32(total, shift_block(acc, a->shift[b]));
}

/* The recipe's last step for 8 rows: ((float)total * U) * 2^(E+G). */
static void finish(float *y, __m128i lo, __m128i hi, const float *unit, const struct rq_act *a)
{
    __m128 p2 = _mm_set1_ps(a->p2);
    _mm_storeu_ps(y, _mm_mul_ps(_mm_mul_ps(_mm_cvtepi32_ps(lo), _mm_loadu_ps(unit)), p2));
    _mm_storeu_ps(y + 4, _mm_mul_ps(_mm_mul_ps(_mm_cvtepi32_ps(hi), _mm_loadu_ps(unit + 4)), p2));
}

static void q4_group(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y)
{
    uint32_t nb = rq_blocks(m);
    /* Two registers per slice: rows 0-3, rows 4-7. */
    const __m128i *words = (const __m128i *)rq_group_weights(m, RQ_Q4, g);
    const __m128i *scales = (const __m128i *)rq_group_scales(m, g);
    const __m128i mask = _mm_set1_epi32(0x000f000f);
    __m128i total_lo = _mm_setzero_si128(), total_hi = total_lo;
    for (uint32_t b = 0; b < nb; b++) {
        __m128i p_lo = _mm_setzero_si128(), p_hi = p_lo;
        for (uint32_t s = 0; s < RQ_Q4_SLICES; s++) {
            __m128i w_lo = _mm_load_si128(words + (b * RQ_Q4_SLICES + s) * 2);
            __m128i w_hi = _mm_load_si128(words + (b * RQ_Q4_SLICES + s) * 2 + 1);
            const uint32_t *x = a->m4 + (b * RQ_Q4_SLICES + s) * 4;
            for (uint32_t k = 0; k < 4; k++) {
                __m128i xk = _mm_set1_epi32((int32_t)x[k]);
                p_lo = _mm_add_epi32(p_lo, _mm_madd_epi16(_mm_and_si128(_mm_srli_epi32(w_lo, 4 * k), mask), xk));
                p_hi = _mm_add_epi32(p_hi, _mm_madd_epi16(_mm_and_si128(_mm_srli_epi32(w_hi, 4 * k), mask), xk));
            }
        }
        total_lo = q4_block_total(total_lo, p_lo, _mm_load_si128(scales + b * 2), a, b);
        total_hi = q4_block_total(total_hi, p_hi, _mm_load_si128(scales + b * 2 + 1), a, b);
    }
    finish(y, total_lo, total_hi, rq_group_units(m, g), a);
}

/* P over the four slices of half h of block b (columns 16h .. 16h + 15) for
 * rows 0-3 (lo) and 4-7 (hi), bytes as stored. */
static void q8_half(const __m128i *words, const struct rq_act *a, uint32_t b, uint32_t h, __m128i *lo, __m128i *hi)
{
    const __m128i mask = _mm_set1_epi32(0x00ff00ff);
    __m128i p_lo = _mm_setzero_si128(), p_hi = p_lo;
    for (uint32_t c = b * RQ_Q8_SLICES + 4 * h; c < b * RQ_Q8_SLICES + 4 * h + 4; c++) {
        __m128i w_lo = _mm_load_si128(words + c * 2), w_hi = _mm_load_si128(words + c * 2 + 1);
        __m128i x0 = _mm_set1_epi32((int32_t)a->m8[c * 2]), x1 = _mm_set1_epi32((int32_t)a->m8[c * 2 + 1]);
        p_lo = _mm_add_epi32(p_lo, _mm_madd_epi16(_mm_and_si128(w_lo, mask), x0));
        p_hi = _mm_add_epi32(p_hi, _mm_madd_epi16(_mm_and_si128(w_hi, mask), x0));
        p_lo = _mm_add_epi32(p_lo, _mm_madd_epi16(_mm_and_si128(_mm_srli_epi32(w_lo, 8), mask), x1));
        p_hi = _mm_add_epi32(p_hi, _mm_madd_epi16(_mm_and_si128(_mm_srli_epi32(w_hi, 8), mask), x1));
    }
    *lo = p_lo;
    *hi = p_hi;
}

static void q8_group(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y)
{
    uint32_t nb = rq_blocks(m);
    const __m128i *words = (const __m128i *)rq_group_weights(m, RQ_Q8, g);
    const __m128i *scales = (const __m128i *)rq_group_scales(m, g);
    __m128i total_lo = _mm_setzero_si128(), total_hi = total_lo;
    for (uint32_t b = 0; b < nb; b++) {
        /* Bytes are stored as q + RQ_Q8_BIAS: start from -RQ_Q8_BIAS * (sum of x). */
        __m128i bias = _mm_set1_epi32((int32_t)(0u - RQ_Q8_BIAS * (uint32_t)a->bsum[b]));
        __m128i p0_lo, p0_hi, p1_lo, p1_hi;
        q8_half(words, a, b, 0, &p0_lo, &p0_hi);
        q8_half(words, a, b, 1, &p1_lo, &p1_hi);
        __m128i p_lo = _mm_add_epi32(bias, _mm_add_epi32(p0_lo, p1_lo));
        __m128i p_hi = _mm_add_epi32(bias, _mm_add_epi32(p0_hi, p1_hi));
        total_lo = q8_block_total(total_lo, p_lo, _mm_load_si128(scales + b * 2), a, b);
        total_hi = q8_block_total(total_hi, p_hi, _mm_load_si128(scales + b * 2 + 1), a, b);
    }
    finish(y, total_lo, total_hi, rq_group_units(m, g), a);
}

static void q5_group(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y)
{
    uint32_t nb = rq_blocks(m);
    const __m128i *words = (const __m128i *)rq_group_weights(m, RQ_Q5, g);
    const __m128i *scales = (const __m128i *)rq_group_scales(m, g);
    __m128i total_lo = _mm_setzero_si128(), total_hi = total_lo;
    for (uint32_t b = 0; b < nb; b++) {
        __m128i p0_lo, p0_hi, p1_lo, p1_hi;
        q8_half(words, a, b, 0, &p0_lo, &p0_hi);
        q8_half(words, a, b, 1, &p1_lo, &p1_hi);
        total_lo = q4_block_total(total_lo, _mm_add_epi32(p0_lo, p1_lo), _mm_load_si128(scales + b * 2), a, b);
        total_hi = q4_block_total(total_hi, _mm_add_epi32(p0_hi, p1_hi), _mm_load_si128(scales + b * 2 + 1), a, b);
    }
    finish(y, total_lo, total_hi, rq_group_units(m, g), a);
}

static void q6_group(const struct rq_matrix *m, const struct rq_act *a, uint32_t g, float *y)
{
    uint32_t nb = rq_blocks(m);
    const __m128i *words = (const __m128i *)rq_group_weights(m, RQ_Q6, g);
    const __m128i *scales = (const __m128i *)rq_group_scales(m, g);
    __m128i total_lo = _mm_setzero_si128(), total_hi = total_lo;
    for (uint32_t b = 0; b < nb; b++) {
        for (uint32_t h = 0; h < 2; h++) {
            __m128i p_lo, p_hi;
            q8_half(words, a, b, h, &p_lo, &p_hi);
            const __m128i *dq = scales + b * 4 + h * 2; /* rows 0-3, 4-7 of half h */
            __m128i base = _mm_set1_epi32(a->hbase[2 * b + h]);
            __m128i acc_lo = mul_lanes(_mm_add_epi32(p_lo, base), _mm_load_si128(dq));
            __m128i acc_hi = mul_lanes(_mm_add_epi32(p_hi, base), _mm_load_si128(dq + 1));
            total_lo = _mm_add_epi32(total_lo, shift_block(acc_lo, a->shift[b]));
            total_hi = _mm_add_epi32(total_hi, shift_block(acc_hi, a->shift[b]));
        }
    }
    finish(y, total_lo, total_hi, rq_group_units(m, g), a);
}

RQ_RANGE(, q4_range, q4_group, 1)
RQ_RANGE(, q8_range, q8_group, 1)
RQ_RANGE(, q6_range, q6_group, 1)
RQ_RANGE(, q5_range, q5_group, 1)

const struct rq_variant rq_variant_sse2 = {
    "sse2", CPU_SSE2, 1,
    { [RQ_Q4] = { q4_group, q4_range, 1 }, [RQ_Q8] = { q8_group, q8_range, 1 }, [RQ_Q6] = { q6_group, q6_range, 1 },
      [RQ_Q5] = { q5_group, q5_range, 1 } },
};
