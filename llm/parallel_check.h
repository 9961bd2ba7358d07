/* parallel_check.h: a stress test of llm_parallel_for (platform.h), run by
 * the OS's `bench parallel` and by the host's tests: many jobs of random
 * sizes (empty, tiny, large) and uneven costs per index, each result checked
 * against the same computation done serially. */
#ifndef LLM_PARALLEL_CHECK_H
#define LLM_PARALLEL_CHECK_H
#include <stdint.h>

#define LLM_CHECK_MAX_WORKERS 64

struct llm_parallel_check {
    uint32_t jobs;          /* jobs run (fewer than asked when stopped) */
    uint64_t indices;       /* indices computed, over all jobs */
    uint32_t errors;        /* indices computed twice, never, wrongly, or by a bad worker number */
    uint32_t workers;       /* llm_parallel_workers() */
    uint64_t by_worker[LLM_CHECK_MAX_WORKERS]; /* indices each worker computed */
    int stopped;            /* stop() said so before the last job */
};

/* Runs `jobs` jobs from the seed; stop (may be NULL) is asked between jobs.
 * 0, or -1 with *out partly filled when out of memory. */
int llm_parallel_check(uint32_t jobs, uint32_t seed, int (*stop)(void *), void *user,
                       struct llm_parallel_check *out);

#endif
