/* profile.h: where a token's time goes, for the `bench` command's per-token
 * breakdown. The engine adds to these counters as it runs (it is
 * single-threaded); a caller resets them, runs tokens and reads them. */
#ifndef LLM_PROFILE_H
#define LLM_PROFILE_H

#include <stdint.h>

struct llm_profile {
    uint64_t quantize_ns;  /* activation quantization for the matrix kernels */
    uint64_t matmul_ns;    /* the matrix kernels */
    uint64_t macs;         /* multiply-accumulates they did */
    uint64_t attention_ns; /* RoPE, the KV cache store and attention */
};

extern struct llm_profile llm_prof;

void llm_profile_reset(void);

#endif
