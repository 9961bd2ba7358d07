/* platform_host.c: llm/platform.h on Linux/glibc, for build/host/myos-llm and
 * the host test harnesses. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "platform.h"

void *llm_alloc(size_t size, size_t align)
{
    void *p = NULL;
    if (align < sizeof(void *))
        align = sizeof(void *);
    /* posix_memalign(…, 0) may return a unique pointer or NULL: keep "NULL =
     * out of memory" unambiguous by never asking for zero bytes. */
    if (posix_memalign(&p, align, size ? size : 1) != 0)
        return NULL;
    return p;
}

/* The C library has one heap and no placement to choose. */
void *llm_alloc_lasting(size_t size, size_t align)
{
    return llm_alloc(size, align);
}

void llm_free(void *ptr)
{
    free(ptr);
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
