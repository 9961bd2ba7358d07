/* alloc_stats.h: what the host platform's llm_alloc counts: the bytes the
 * engine holds now (asked for, not what glibc rounds them to) and the most
 * it held since the last reset. The tests measure a real load and session
 * with it against llm_memory_needed. */
#ifndef LLM_HOST_ALLOC_STATS_H
#define LLM_HOST_ALLOC_STATS_H

#include <stdint.h>

void llm_host_alloc_stats(uint64_t *live, uint64_t *peak);
void llm_host_alloc_reset_peak(void);

#endif
