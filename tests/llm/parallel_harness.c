/* parallel_harness.c: runs llm/parallel_check.c on the host's thread pool.
 *   parallel_harness THREADS JOBS SEED
 * prints one line "jobs J indices I errors E stopped S workers W by_worker a b ...";
 * SIGINT stops it between jobs (as Ctrl+C does in the OS). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "host/platform_host.h"
#include "parallel_check.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int stop_requested(void *user)
{
    (void)user;
    return interrupted;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: parallel_harness THREADS JOBS SEED\n");
        return 2;
    }
    if (llm_host_set_threads((uint32_t)strtoul(argv[1], NULL, 10)) != 0) {
        fprintf(stderr, "parallel_harness: cannot start %s threads\n", argv[1]);
        return 2;
    }
    signal(SIGINT, on_sigint);
    printf("ready\n");
    fflush(stdout);
    struct llm_parallel_check r;
    if (llm_parallel_check((uint32_t)strtoul(argv[2], NULL, 10), (uint32_t)strtoul(argv[3], NULL, 10),
                           stop_requested, NULL, &r) != 0) {
        fprintf(stderr, "parallel_harness: out of memory\n");
        return 1;
    }
    printf("jobs %u indices %llu errors %u stopped %d workers %u by_worker", r.jobs,
           (unsigned long long)r.indices, r.errors, r.stopped, r.workers);
    for (uint32_t w = 0; w < r.workers && w < LLM_CHECK_MAX_WORKERS; w++)
        printf(" %llu", (unsigned long long)r.by_worker[w]);
    printf("\n");
    return r.errors ? 1 : 0;
}
