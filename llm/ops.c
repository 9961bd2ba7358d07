/* ops.c: the tables of ops_exp (ops.h) and SwiGLU. ops_exp replaces expf's
 * range reduction and polynomial, which under emulation cost a helper call
 * per float operation, by integer work on two tables.
 */
#include "ops.h"

#include "platform.h"

#define Q30 1073741824.0f

uint32_t ops_exp_hi[OPS_EXP_N], ops_exp_lo[OPS_EXP_N];
static int exp_ready;

void ops_init(void)
{
    if (exp_ready)
        return;
    /* powf is kernel/lib/math.c in both builds: the same tables everywhere. */
    for (uint32_t j = 0; j < OPS_EXP_N; j++) {
        ops_exp_hi[j] = (uint32_t)(powf(2.0f, (float)j / (float)OPS_EXP_N) * Q30);
        ops_exp_lo[j] = (uint32_t)(powf(2.0f, (float)j / (float)(OPS_EXP_N * OPS_EXP_N)) * Q30);
    }
    exp_ready = 1;
}

void ops_swiglu(float *gate, const float *up, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        float g = gate[i];
        gate[i] = g / (1.0f + ops_exp(-g)) * up[i];
    }
}
