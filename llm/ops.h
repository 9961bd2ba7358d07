/* ops.h: the element-wise pieces of the forward pass made cheap under
 * software emulation: an exponential from integer tables (no polynomial of
 * float operations per call) and the SwiGLU activation with a table
 * sigmoid; and the small pieces every forward pass shares (RMSNorm, the
 * residual add, RoPE).
 *
 * Every result depends only on integer operations and a fixed sequence of
 * single float operations, so the host program and the OS compute the same
 * bits.
 */
#ifndef LLM_OPS_H
#define LLM_OPS_H

#include <stdint.h>

#include "platform.h"

#define OPS_EXP_BITS 10 /* per table: 2 * 1024 entries, 4e-7 relative error */
#define OPS_EXP_N (1u << OPS_EXP_BITS)
#define OPS_LOG2E 1.44269504f
/* 2^(j / 2^10) and 2^(j / 2^20) in Q30, for ops_exp. */
extern uint32_t ops_exp_hi[OPS_EXP_N], ops_exp_lo[OPS_EXP_N];

/* Fills the tables (idempotent; model_state_init calls it). */
void ops_init(void);

/* Nearest integer of v, saturated to +-lim; NaN gives 0. */
static inline int32_t ops_round(float v, int32_t lim)
{
    if (v >= (float)lim)
        return lim;
    if (v <= -(float)lim)
        return -lim;
    return v >= 0.0f ? (int32_t)(v + 0.5f) : v < 0.0f ? (int32_t)(v - 0.5f) : 0;
}

/* 2^(y / 2^20) for -126 * 2^20 <= y < 128 * 2^20, within 1e-6 relative
 * error, from integer work alone: y = n + f, 2^f = hi[f >> 10] * lo[f & 1023]
 * (Q60), and n goes into the result's exponent field. */
static inline float ops_exp2_q20(int32_t yi)
{
    int32_t n = yi >> (2 * OPS_EXP_BITS); /* floor: arithmetic shift */
    uint32_t f = (uint32_t)yi & (OPS_EXP_N * OPS_EXP_N - 1u);
    uint64_t p = (uint64_t)ops_exp_hi[f >> OPS_EXP_BITS] * ops_exp_lo[f & (OPS_EXP_N - 1u)];
    uint32_t m = (uint32_t)((p + (1ull << 36)) >> 37); /* Q23: [2^23, 2^24] */
    if (m >= (1u << 24)) {
        m >>= 1;
        n++;
    }
    uint32_t bits = ((uint32_t)(n + 127) << 23) | (m & 0x7fffffu);
    float r;
    memcpy(&r, &bits, sizeof r);
    return r;
}

/* e^x within 1e-6 relative error; 0 below -87, +inf above 88, NaN for NaN.
 *
 * e^x = 2^y with y = x * log2(e) rounded to 20 fraction bits. Under
 * emulation every float instruction is a helper call: this needs one
 * multiply and one conversion (expf: a polynomial), tests the range on the
 * float's bits, and is inline because a float returned from a call on i386
 * goes through the x87 stack. */
static inline float ops_exp(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    uint32_t mag = bits & 0x7fffffffu;
    if (mag > 0x7f800000u) /* NaN */
        return x;
    if (bits >> 31 && mag > 0x42ae0000u) /* x < -87 */
        return 0.0f;
    if (!(bits >> 31) && mag > 0x42b00000u) { /* x > 88 */
        bits = 0x7f800000u;
        memcpy(&x, &bits, sizeof x);
        return x;
    }
    /* |y| < 2^7, so y * 2^20 fits in 32 bits. */
    return ops_exp2_q20(ops_round(x * (OPS_LOG2E * (float)(OPS_EXP_N * OPS_EXP_N)), 0x7fffffff));
}

/* out = x * w / sqrt(mean(x^2) + eps) over n values (RMSNorm). */
void ops_rmsnorm(float *out, const float *x, const float *w, uint32_t n, float eps);

/* x += d over n values (the residual stream). */
void ops_add(float *x, const float *d, uint32_t n);

/* RoPE's frequency per pair: inv_freq[i] = base^(-2i / rope_dim), i < rope_dim / 2. */
void ops_rope_freqs(float *inv_freq, float base, uint32_t rope_dim);
/* The rotation of positions pos0 .. pos0 + n - 1: rope_dim / 2 cosines and
 * sines per position, position t's at t * rope_dim / 2. */
void ops_rope_angles(float *cos_out, float *sin_out, const float *inv_freq, uint32_t rope_dim, uint32_t pos0,
                     uint32_t n);
/* Rotates pairs of the first rope_dim values of each of the n_heads heads of
 * v (head_dim apart) by one position's angles cs, sn (rope_dim / 2 each):
 * the adjacent pairs (2i, 2i + 1), or with neox the half-offset pairs
 * (i, i + rope_dim / 2); with inverse by the opposite angles (the backward
 * pass of the rotation). */
void ops_rope(float *v, const float *cs, const float *sn, uint32_t n_heads, uint32_t head_dim, uint32_t rope_dim,
              int neox, int inverse);

/* gate[i] = silu(gate[i]) * up[i] for i < n: gate * up times the sigmoid
 * interpolated from a table (see ops.c), 2.3e-7 absolute error. */
void ops_swiglu(float *gate, const float *up, uint32_t n);

/* gate[i] = gelu(gate[i]) * up[i] for i < n, GELU's tanh form as llama.cpp's
 * CPU code computes it: looked up in a table of every F16 input (the input
 * rounded to F16, the GELU rounded to F16), 0 below -10 and the input itself
 * from 10 on. */
void ops_geglu(float *gate, const float *up, uint32_t n);

#endif
