/* buffers.h: a part's buffers listed once, as a plan (where each pointer
 * goes, how many bytes, what alignment), so that the code that allocates
 * them and the memory estimate of llm_memory_needed (llm.h) read the same
 * sizes. Sizes are 64-bit: a plan is summed before anything is allocated,
 * and a buffer of 2 GiB or more is refused (size_t is 32-bit in the kernel). */
#ifndef LLM_BUFFERS_H
#define LLM_BUFFERS_H

#include <stddef.h>
#include <stdint.h>

struct llm_buf {
    void **slot;
    uint64_t bytes;
    uint32_t align;
};

/* Allocates every buffer of the plan into its slot: 0, or -1 with all of
 * them freed and their slots NULL. */
int buffers_alloc(const struct llm_buf *plan, uint32_t n);
/* Frees what the slots hold and sets them NULL. */
void buffers_free(const struct llm_buf *plan, uint32_t n);
uint64_t buffers_bytes(const struct llm_buf *plan, uint32_t n);

#endif
