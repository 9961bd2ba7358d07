/* buffers.c: allocating, freeing and summing the buffer plans of buffers.h. */
#include "buffers.h"

#include "platform.h"

#define BUFFER_MAX 0x7fffffffu

int buffers_alloc(const struct llm_buf *plan, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        *plan[i].slot = NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (plan[i].bytes > BUFFER_MAX || !(*plan[i].slot = llm_alloc((size_t)plan[i].bytes, plan[i].align))) {
            buffers_free(plan, n);
            return -1;
        }
    }
    return 0;
}

void buffers_free(const struct llm_buf *plan, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        llm_free(*plan[i].slot);
        *plan[i].slot = NULL;
    }
}

uint64_t buffers_bytes(const struct llm_buf *plan, uint32_t n)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += plan[i].bytes;
    return total;
}
