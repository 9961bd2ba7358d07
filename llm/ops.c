/* ops.c: e^x through two tables of 2^(j/2^10) and 2^(j/2^20), and SwiGLU.
 *
 * e^x = 2^y with y = x * log2(e) rounded to 20 fraction bits; y = n + f,
 * 2^f = hi[f >> 10] * lo[f & 1023] (both Q30, product in 64 bits), and n goes
 * straight into the float's exponent field. One float multiply and one
 * conversion per call instead of expf's range reduction and polynomial,
 * which under emulation costs a helper call per float operation.
 */
#include "ops.h"

#include "platform.h"

#define Q30 1073741824.0f

#define EXP_BITS 10 /* per table: 2 * 1024 entries, 4e-7 relative error */
#define EXP_N (1 << EXP_BITS)

static uint32_t exp_hi[EXP_N], exp_lo[EXP_N];
static int exp_ready;

void ops_init(void)
{
    if (exp_ready)
        return;
    /* powf is kernel/lib/math.c in both builds: the same tables everywhere. */
    for (int j = 0; j < EXP_N; j++) {
        exp_hi[j] = (uint32_t)(powf(2.0f, (float)j / (float)EXP_N) * Q30);
        exp_lo[j] = (uint32_t)(powf(2.0f, (float)j / (float)(EXP_N * EXP_N)) * Q30);
    }
    exp_ready = 1;
}

float ops_exp(float x)
{
    if (!(x >= -87.0f))
        return x != x ? x : 0.0f;
    if (x > 88.0f)
        return 1.0f / 0.0f;
    /* |y| < 2^7, so y * 2^20 fits in 32 bits. */
    int32_t yi = ops_round(x * (1.44269504f * (float)(EXP_N * EXP_N)), 0x7fffffff);
    int32_t n = yi >> (2 * EXP_BITS); /* floor: arithmetic shift */
    uint32_t f = (uint32_t)yi & (EXP_N * EXP_N - 1u);
    uint64_t p = (uint64_t)exp_hi[f >> EXP_BITS] * exp_lo[f & (EXP_N - 1u)]; /* 2^f in Q60 */
    uint32_t m = (uint32_t)((p + (1ull << 36)) >> 37);          /* Q23: [2^23, 2^24] */
    if (m >= (1u << 24)) {
        m >>= 1;
        n++;
    }
    uint32_t bits = ((uint32_t)(n + 127) << 23) | (m & 0x7fffffu);
    float r;
    memcpy(&r, &bits, sizeof r);
    return r;
}

void ops_swiglu(float *gate, const float *up, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        float g = gate[i];
        gate[i] = g / (1.0f + ops_exp(-g)) * up[i];
    }
}
