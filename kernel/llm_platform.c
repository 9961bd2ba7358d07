/* llm_platform.c: llm/platform.h implemented by the kernel, so the inference
 * engine (llm/) runs in ring 0: memory from the kernel heap, time from the
 * calibrated TSC, parallel work on every online CPU, work between the
 * disk's DMA polls while a model is read, diagnostics on the console. The
 * C library subset it names comes from kernel/lib (string, printf, math). */
#include <stdarg.h>
#include "platform.h"
#include "arch/x86/parallel.h"
#include "arch/x86/timer.h"
#include "drivers/ata.h"
#include "drivers/console.h"
#include "lib/memory.h"
#include "lib/printf.h"

void *llm_alloc(size_t size, size_t align)
{
    return kaligned_alloc(align, size);
}

void *llm_alloc_lasting(size_t size, size_t align)
{
    return kaligned_alloc_lasting(align, size);
}

void llm_free(void *ptr)
{
    kfree(ptr);
}

uint64_t llm_time_ns(void)
{
    return timer_ns();
}

void llm_parallel_for(uint32_t n, void (*fn)(void *ctx, uint32_t begin, uint32_t end, uint32_t worker),
                      void *ctx)
{
    parallel_for(n, fn, ctx);
}

uint32_t llm_parallel_workers(void)
{
    return parallel_workers();
}

void llm_while_reading(void (*work)(void *ctx), void *ctx)
{
    ata_while_waiting(work, ctx);
}

void llm_log(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    kprintf("%s\n", line);
}
