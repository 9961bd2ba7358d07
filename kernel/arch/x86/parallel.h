/* parallel.h: the one primitive for parallel work. The boot CPU publishes a
 * job (a function over the index range [0, n)), every online CPU, the boot
 * CPU included, takes ranges of it until none is left, and the boot CPU
 * returns once all have finished. Which CPU computes which range varies from
 * run to run; the function must write each index's results from that index
 * alone, so the results do not. */
#ifndef ARCH_X86_PARALLEL_H
#define ARCH_X86_PARALLEL_H
#include <stdint.h>
#include "arch/x86/acpi.h"

/* worker: the online number of the CPU running this range, < parallel_workers(). */
typedef void (*parallel_fn)(void *ctx, uint32_t begin, uint32_t end, uint32_t worker);

/* From the boot CPU only (a nested call panics). */
void parallel_for(uint32_t n, parallel_fn fn, void *ctx);
uint32_t parallel_workers(void);

/* What the jobs since the last reset cost: the boot CPU's time from
 * publishing each job to its end (wall), and each CPU's time inside fn. */
struct parallel_stats {
    uint64_t jobs;
    uint64_t wall_tsc;
    uint64_t busy_tsc[MAX_CPUS];
    uint64_t ranges[MAX_CPUS];
};
void parallel_stats_reset(void);
const struct parallel_stats *parallel_get_stats(void);

/* An AP's life after smp.c started it: wait for jobs, run them. */
void parallel_worker_loop(uint32_t cpu) __attribute__((noreturn));

#endif
