/* attention_avx2.c: the two integer loops of attention.c in AVX2, for
 * QEMU's software emulation first (see kernels_avx2.c for the rules): 256-bit
 * loads of the cache, 32-bit broadcasts from memory, and otherwise only
 * immediate shifts, vpmulld and vpaddd, which TCG translates inline. A 32-bit
 * lane loaded from the cache holds a pair of int16 values; shifts take each
 * value's signed high byte and unsigned low byte, so every lane sum fits in
 * 32 bits. The integer sums equal the scalar loops' exactly, so the results
 * are the same bits. The dot product scores the 8 positions of a key block
 * at once (one lane each), so the query is broadcast, not loaded, and no
 * lanes need adding up.
 */
#include "attention_simd.h"

#include "platform.h"

#if !__STDC_HOSTED__
#define _MM_MALLOC_H_INCLUDED
#endif
#include <immintrin.h>

#pragma GCC push_options
#pragma GCC target("avx2")

/* The bytes of the pairs in a vector of 32-bit lanes (x[2j] low, x[2j+1]
 * high): signed high bytes and unsigned low bytes, by shifts alone (no mask
 * constant to keep in one of the eight registers of 32-bit code). */
#define HI_EVEN(x) _mm256_srai_epi32(_mm256_slli_epi32(x, 16), 24)
#define LO_EVEN(x) _mm256_srli_epi32(_mm256_slli_epi32(x, 24), 24)
#define HI_ODD(x) _mm256_srai_epi32(x, 24)
#define LO_ODD(x) _mm256_srli_epi32(_mm256_slli_epi32(x, 8), 24)
#define MAC(acc, a, b) acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(a, b))

void attn_dot8_avx2(const int32_t *q, const int16_t *kb, uint32_t hd, int32_t hi_out[8], int32_t lo_out[8])
{
    /* Lane p: position p of the block. A 32-bit lane loaded from the block
     * holds the pair (k[2j], k[2j+1]) of its position; the key is split into
     * signed high and unsigned low bytes (hi and lo sums). */
    __m256i hi = _mm256_setzero_si256(), lo = _mm256_setzero_si256();
    for (uint32_t j = 0; j < hd / 2; j++) {
        __m256i x = _mm256_load_si256((const __m256i *)(kb + j * 16));
        __m256i qe = _mm256_set1_epi32(q[2 * j]), qo = _mm256_set1_epi32(q[2 * j + 1]);
        MAC(hi, qe, HI_EVEN(x));
        MAC(lo, qe, LO_EVEN(x));
        MAC(hi, qo, HI_ODD(x));
        MAC(lo, qo, LO_ODD(x));
    }
    _mm256_storeu_si256((__m256i *)hi_out, hi);
    _mm256_storeu_si256((__m256i *)lo_out, lo);
}

void attn_vsum_avx2(const int32_t *w, uint32_t n, const int16_t *v, size_t stride, uint32_t hd,
                    int32_t *acc_hi, uint32_t *acc_lo)
{
    for (uint32_t c = 0; c < hd; c += 16) {
        __m256i eh = _mm256_setzero_si256(), oh = eh, el = eh, ol = eh;
        const int16_t *p = v + c;
        /* No test for zero weights: a branch would end the translated block. */
        for (uint32_t t = 0; t < n; t++, p += stride) {
            __m256i wt = _mm256_set1_epi32(w[t]);
            __m256i x = _mm256_loadu_si256((const __m256i *)p);
            MAC(eh, wt, HI_EVEN(x));
            MAC(el, wt, LO_EVEN(x));
            MAC(oh, wt, HI_ODD(x));
            MAC(ol, wt, LO_ODD(x));
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
