/* platform_host.h: what the host build adds to llm/platform.h: the number of
 * threads llm_parallel_for uses (myos-llm --threads), the count of the
 * bytes the engine holds (for the memory tests) and files read in parts. */
#ifndef LLM_PLATFORM_HOST_H
#define LLM_PLATFORM_HOST_H
#include <stdint.h>

#define LLM_HOST_MAX_THREADS 64

/* Starts threads - 1 worker threads (the caller is worker 0); call once,
 * before the first llm_parallel_for. 0, or -1 when they cannot be started.
 * Without it llm_parallel_for runs everything on the calling thread. */
int llm_host_set_threads(uint32_t threads);

/* The bytes the engine holds now (asked for, not what glibc rounds them to)
 * and the most it held since the last reset. */
void llm_host_alloc_stats(uint64_t *live, uint64_t *peak);
void llm_host_alloc_reset_peak(void);

/* A file for llm_load_file read in parts with stdio (as the OS reads its
 * disk): 0 with *f set, or -1 with errno set; close it with
 * llm_host_file_close. */
struct llm_file;
int llm_host_file_open(const char *path, struct llm_file *f);
void llm_host_file_close(struct llm_file *f);

#endif
