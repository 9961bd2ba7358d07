/* ops.h: the element-wise pieces of the forward pass made cheap under
 * software emulation: an exponential from integer tables (no polynomial of
 * float operations per call) and the SwiGLU activation built on it.
 *
 * Every result depends only on integer operations and a fixed sequence of
 * single float operations, so the host program and the OS compute the same
 * bits.
 */
#ifndef LLM_OPS_H
#define LLM_OPS_H

#include <stdint.h>

/* Fills the tables (idempotent; model_state_init calls it). */
void ops_init(void);

/* e^x within 1e-6 relative error; 0 below -87, +inf above 88, NaN for NaN. */
float ops_exp(float x);

/* gate[i] = silu(gate[i]) * up[i] for i < n. */
void ops_swiglu(float *gate, const float *up, uint32_t n);

/* Nearest integer of v, saturated to +-lim; NaN gives 0. */
static inline int32_t ops_round(float v, int32_t lim)
{
    if (v >= (float)lim)
        return lim;
    if (v <= -(float)lim)
        return -lim;
    return v >= 0.0f ? (int32_t)(v + 0.5f) : v < 0.0f ? (int32_t)(v - 0.5f) : 0;
}

#endif
