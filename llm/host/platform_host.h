/* platform_host.h: what the host build adds to llm/platform.h: the number of
 * threads llm_parallel_for uses (myos-llm --threads). */
#ifndef LLM_PLATFORM_HOST_H
#define LLM_PLATFORM_HOST_H
#include <stdint.h>

#define LLM_HOST_MAX_THREADS 64

/* Starts threads - 1 worker threads (the caller is worker 0); call once,
 * before the first llm_parallel_for. 0, or -1 when they cannot be started.
 * Without it llm_parallel_for runs everything on the calling thread. */
int llm_host_set_threads(uint32_t threads);

#endif
