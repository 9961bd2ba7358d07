/* platform_host.c: llm/platform.h on Linux/glibc, for build/host/myos-llm and
 * the host test harnesses; it also counts the bytes the engine holds
 * (alloc_stats.h), which the tests compare with llm_memory_needed. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "platform.h"
#include "host/alloc_stats.h"

/* Before each block: where the allocation starts and the bytes asked for. */
struct block_header {
    void *base;
    size_t size;
};
#define HEADER_ROOM 16 /* sizeof(struct block_header), rounded to the least alignment */

static uint64_t bytes_live, bytes_peak;

void *llm_alloc(size_t size, size_t align)
{
    void *p = NULL;
    if (align < HEADER_ROOM)
        align = HEADER_ROOM;
    /* The header takes the first `align` bytes, so the block stays aligned.
     * Never zero bytes: "NULL = out of memory" stays unambiguous. */
    if (size > (size_t)-1 - align || posix_memalign(&p, align, align + (size ? size : 1)) != 0)
        return NULL;
    char *user = (char *)p + align;
    struct block_header *h = (struct block_header *)(user - HEADER_ROOM);
    h->base = p;
    h->size = size;
    bytes_live += size;
    if (bytes_live > bytes_peak)
        bytes_peak = bytes_live;
    return user;
}

void llm_free(void *ptr)
{
    if (!ptr)
        return;
    struct block_header *h = (struct block_header *)((char *)ptr - HEADER_ROOM);
    bytes_live -= h->size;
    free(h->base);
}

void llm_host_alloc_stats(uint64_t *live, uint64_t *peak)
{
    *live = bytes_live;
    *peak = bytes_peak;
}

void llm_host_alloc_reset_peak(void)
{
    bytes_peak = bytes_live;
}

uint64_t llm_time_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void llm_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
