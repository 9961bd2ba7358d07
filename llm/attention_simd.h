/* attention_simd.h: the AVX2 twins of attention.c's integer loops (used when
 * the CPU has AVX2 and head_dim is a multiple of 16, at most 256). */
#ifndef LLM_ATTENTION_SIMD_H
#define LLM_ATTENTION_SIMD_H

#include <stddef.h>
#include <stdint.h>

/* For the 8 positions p of key block kb (attention.h's layout):
 * hi_out[p] = sum_i q[i] * (k_p[i] >> 8), lo_out[p] = sum_i q[i] * (k_p[i] & 255). */
void attn_dot8_avx2(const int32_t *q, const int16_t *kb, uint32_t hd, int32_t hi_out[8], int32_t lo_out[8]);
/* acc_hi[i] = sum_t w[t] * (v_t[i] >> 8), acc_lo[i] = sum_t w[t] * (v_t[i] & 255)
 * over the n rows v_t = v + t * stride. */
void attn_vsum_avx2(const int32_t *w, uint32_t n, const int16_t *v, size_t stride, uint32_t hd,
                    int32_t *acc_hi, uint32_t *acc_lo);

#endif
