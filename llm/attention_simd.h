/* attention_simd.h: the AVX2 twins of attention.c's integer loops (used when
 * the CPU has AVX2 and head_dim is a multiple of 16, at most 256). */
#ifndef LLM_ATTENTION_SIMD_H
#define LLM_ATTENTION_SIMD_H

#include <stddef.h>
#include <stdint.h>

/* The query (qh * 256 + ql) rearranged for attn_dot_avx2: per 16 values,
 * the 8 even then the 8 odd ones, as int32 (hd values). */
void attn_prep_query_avx2(const int16_t *qh, const int16_t *ql, uint32_t hd, int32_t *prep);
/* sum of q[i] * k[i], q given by attn_prep_query_avx2, as lanes: the sum of
 * lanes[0..8) times 256 plus the sum of lanes[8..16). */
void attn_dot_avx2(const int32_t *prep, const int16_t *k, uint32_t hd, int32_t lanes[16]);
/* acc_hi[i] = sum_t w[t] * (v_t[i] >> 8), acc_lo[i] = sum_t w[t] * (v_t[i] & 255)
 * over the n rows v_t = v + t * stride. */
void attn_vsum_avx2(const int32_t *w, uint32_t n, const int16_t *v, size_t stride, uint32_t hd,
                    int32_t *acc_hi, uint32_t *acc_lo);

#endif
