/* ops.c: the tables of ops_exp, of SwiGLU's sigmoid and of GELU (ops.h),
 * SwiGLU, GeGLU, and the small shared pieces of the forward pass (RMSNorm,
 * residual, RoPE). Under emulation every float instruction is a helper call; these
 * tables turn expf's range reduction and polynomial, and the sigmoid's
 * exponential and division, into integer work.
 */
#include "ops.h"

#include "platform.h"
#include "matmul/quant.h"

#define Q30 1073741824.0f

uint32_t ops_exp_hi[OPS_EXP_N], ops_exp_lo[OPS_EXP_N];

/* The sigmoid in Q30 at the float whose top SIG_BITS bits are j (sign,
 * exponent, SIG_BITS - 9 mantissa bits), for j <= 2^SIG_BITS (one past the
 * last, as the upper end of the last interval). Between two such floats the
 * bits of x grow in step with x, so ops_swiglu interpolates linearly on the
 * low bits. 18 bits (1 MiB): the sigmoid within 2.3e-7 absolute, as close as
 * 1 / (1 + ops_exp(-x)) was (1.5e-7); 16 bits gave 2.5e-6 (SmolLM2's mean
 * KL against the reference 3.2e-5 instead of 2.9e-5). */
#define SIG_BITS 18
#define SIG_LOW (32 - SIG_BITS)
static int32_t sigmoid_q30[(1u << SIG_BITS) + 1];
/* GELU of every F16 value, as an F16 (ggml's ggml_table_gelu_f16). */
static uint16_t gelu_f16[1u << 16];
static int ops_ready;

/* ggml's ggml_gelu_f32, operation for operation. */
static float gelu_tanh(float x)
{
    const float sqrt_2_over_pi = 0.79788456080286535587989211986876f, coef_a = 0.044715f;
    return 0.5f * x * (1.0f + tanhf(sqrt_2_over_pi * x * (1.0f + coef_a * x * x)));
}

void ops_init(void)
{
    if (ops_ready)
        return;
    /* powf and expf are kernel/lib/math.c in both builds: the same tables
     * everywhere. */
    for (uint32_t j = 0; j < OPS_EXP_N; j++) {
        ops_exp_hi[j] = (uint32_t)(powf(2.0f, (float)j / (float)OPS_EXP_N) * Q30);
        ops_exp_lo[j] = (uint32_t)(powf(2.0f, (float)j / (float)(OPS_EXP_N * OPS_EXP_N)) * Q30);
    }
    for (uint32_t j = 0; j <= 1u << SIG_BITS; j++) {
        uint32_t bits = j << SIG_LOW;
        float x;
        memcpy(&x, &bits, sizeof x);
        float sg = 1.0f / (1.0f + expf(-x)); /* e^-x = inf gives 0 */
        sigmoid_q30[j] = sg == sg ? (int32_t)(sg * Q30 + 0.5f) : 0; /* NaN: silu(NaN) stays NaN */
    }
    for (uint32_t h = 0; h < 1u << 16; h++)
        gelu_f16[h] = quant_f32_to_f16(gelu_tanh(quant_f16_to_f32((uint16_t)h)));
    ops_ready = 1;
}

void ops_swiglu(float *gate, const float *up, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        float g = gate[i];
        uint32_t bits;
        memcpy(&bits, &g, sizeof bits);
        uint32_t j = bits >> SIG_LOW;
        int32_t a = sigmoid_q30[j], d = sigmoid_q30[j + 1] - a;
        /* d * the low bits needs 64 bits (|d| reaches 2^20). */
        int32_t sg = a + (int32_t)(((int64_t)d * (int32_t)(bits & ((1u << SIG_LOW) - 1))) >> SIG_LOW);
        gate[i] = (float)sg * (1.0f / Q30) * g * up[i];
    }
}

void ops_rmsnorm(float *out, const float *x, const float *w, uint32_t n, float eps)
{
    float ss = 0.0f;
    for (uint32_t i = 0; i < n; i++)
        ss += x[i] * x[i];
    float scale = 1.0f / sqrtf(ss / (float)n + eps);
    for (uint32_t i = 0; i < n; i++)
        out[i] = x[i] * scale * w[i];
}

void ops_add(float *x, const float *d, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        x[i] += d[i];
}

void ops_rope_freqs(float *inv_freq, float base, uint32_t rope_dim)
{
    for (uint32_t i = 0; i < rope_dim / 2; i++)
        inv_freq[i] = 1.0f / powf(base, (float)(2 * i) / (float)rope_dim);
}

void ops_rope_angles(float *cos_out, float *sin_out, const float *inv_freq, uint32_t rope_dim, uint32_t pos0,
                     uint32_t n)
{
    uint32_t half = rope_dim / 2;
    for (uint32_t t = 0; t < n; t++) {
        for (uint32_t i = 0; i < half; i++) {
            float angle = (float)(pos0 + t) * inv_freq[i];
            cos_out[t * half + i] = cosf(angle);
            sin_out[t * half + i] = sinf(angle);
        }
    }
}

void ops_rope(float *v, const float *cs, const float *sn, uint32_t n_heads, uint32_t head_dim, uint32_t rope_dim,
              int neox, int inverse)
{
    const uint32_t half = rope_dim / 2, step = neox ? 1 : 2, partner = neox ? half : 1;
    for (uint32_t h = 0; h < n_heads; h++) {
        float *p = v + h * head_dim;
        for (uint32_t i = 0; i < half; i++) {
            float *x = p + i * step, *y = x + partner;
            /* Negating the sine is exact: the inverse rounds as a rotation by -angle. */
            float a = *x, b = *y, s = inverse ? -sn[i] : sn[i];
            *x = a * cs[i] - b * s;
            *y = a * s + b * cs[i];
        }
    }
}

void ops_geglu(float *gate, const float *up, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        float g = gate[i];
        if (g <= -10.0f)
            gate[i] = 0.0f;
        else if (g >= 10.0f)
            gate[i] = g * up[i];
        else
            gate[i] = quant_f16_to_f32(gelu_f16[quant_f32_to_f16(g)]) * up[i];
    }
}
