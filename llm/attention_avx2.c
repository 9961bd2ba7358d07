/* attention_avx2.c: the two integer loops of attention.c in AVX2, for
 * QEMU's software emulation first (see kernels_avx2.c for the rules): one
 * 256-bit load per 16 values, everything else immediate shifts, vpand,
 * vpmulld and vpaddd, which TCG translates inline. A 32-bit lane loaded from
 * an int16 row holds the pair (x[2j], x[2j+1]): x[2j+1] = lane >> 16 and
 * x[2j] = (lane << 16) >> 16, arithmetic shifts. The integer sums equal the
 * scalar loops' exactly, so the results are the same bits.
 */
#include "attention_simd.h"

#include "platform.h"

#if !__STDC_HOSTED__
#define _MM_MALLOC_H_INCLUDED
#endif
#include <immintrin.h>

#pragma GCC push_options
#pragma GCC target("avx2")

#define EVEN(x) _mm256_srai_epi32(_mm256_slli_epi32(x, 16), 16)
#define ODD(x) _mm256_srai_epi32(x, 16)

static int32_t hsum(__m256i x)
{
    int32_t t[8];
    _mm256_storeu_si256((__m256i *)t, x);
    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}

void attn_prep_query_avx2(const int16_t *qh, const int16_t *ql, uint32_t hd, int32_t *prep)
{
    for (uint32_t c = 0; c < hd; c += 16, prep += 32)
        for (uint32_t j = 0; j < 8; j++) {
            prep[j] = qh[c + 2 * j];
            prep[8 + j] = qh[c + 2 * j + 1];
            prep[16 + j] = ql[c + 2 * j];
            prep[24 + j] = ql[c + 2 * j + 1];
        }
}

int64_t attn_dot_avx2(const int32_t *prep, const int16_t *k, uint32_t hd)
{
    /* hd <= 256: each lane sums hd / 16 products below 2^23 each. */
    __m256i hi = _mm256_setzero_si256(), lo = _mm256_setzero_si256();
    for (uint32_t c = 0; c < hd; c += 16, prep += 32) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(k + c));
        __m256i e = EVEN(x), o = ODD(x);
        hi = _mm256_add_epi32(hi, _mm256_mullo_epi32(e, _mm256_loadu_si256((const __m256i *)prep)));
        hi = _mm256_add_epi32(hi, _mm256_mullo_epi32(o, _mm256_loadu_si256((const __m256i *)(prep + 8))));
        lo = _mm256_add_epi32(lo, _mm256_mullo_epi32(e, _mm256_loadu_si256((const __m256i *)(prep + 16))));
        lo = _mm256_add_epi32(lo, _mm256_mullo_epi32(o, _mm256_loadu_si256((const __m256i *)(prep + 24))));
    }
    return (int64_t)hsum(hi) * 256 + hsum(lo);
}

void attn_vsum_avx2(const int32_t *w, uint32_t n, const int16_t *v, size_t stride, uint32_t hd,
                    int32_t *acc_hi, uint32_t *acc_lo)
{
    const __m256i low = _mm256_set1_epi32(255);
    for (uint32_t c = 0; c < hd; c += 16) {
        __m256i eh = _mm256_setzero_si256(), oh = eh, el = eh, ol = eh;
        const int16_t *p = v + c;
        for (uint32_t t = 0; t < n; t++, p += stride) {
            if (w[t] == 0)
                continue;
            __m256i wt = _mm256_set1_epi32(w[t]);
            __m256i x = _mm256_loadu_si256((const __m256i *)p);
            __m256i e = EVEN(x), o = ODD(x);
            eh = _mm256_add_epi32(eh, _mm256_mullo_epi32(wt, _mm256_srai_epi32(e, 8)));
            oh = _mm256_add_epi32(oh, _mm256_mullo_epi32(wt, _mm256_srai_epi32(o, 8)));
            el = _mm256_add_epi32(el, _mm256_mullo_epi32(wt, _mm256_and_si256(e, low)));
            ol = _mm256_add_epi32(ol, _mm256_mullo_epi32(wt, _mm256_and_si256(o, low)));
        }
        int32_t t[4][8];
        _mm256_storeu_si256((__m256i *)t[0], eh);
        _mm256_storeu_si256((__m256i *)t[1], oh);
        _mm256_storeu_si256((__m256i *)t[2], el);
        _mm256_storeu_si256((__m256i *)t[3], ol);
        for (uint32_t j = 0; j < 8; j++) {
            acc_hi[c + 2 * j] = t[0][j];
            acc_hi[c + 2 * j + 1] = t[1][j];
            acc_lo[c + 2 * j] = (uint32_t)t[2][j];
            acc_lo[c + 2 * j + 1] = (uint32_t)t[3][j];
        }
    }
}

#pragma GCC pop_options
