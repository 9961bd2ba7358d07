/* parallel_check.c: the stress test of llm_parallel_for. Each index's result
 * is a hash chain whose length depends on the index (so ranges cost unevenly
 * and CPUs finish at different times); every call also marks the indices it
 * was given and by which worker, so an index given twice or never, a range
 * outside [0, n) or a worker number out of range shows up as an error. */
#include "parallel_check.h"
#include "platform.h"

#define MAX_N 4096
#define MAX_COST 64

struct job_state {
    uint32_t n, salt;
    uint32_t *result;
    uint8_t *hits;
    uint8_t *owner;
    uint32_t bad_calls;
};

static uint32_t mix(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

/* The per-index work: its cost varies from 1 to MAX_COST rounds. */
static uint32_t compute(uint32_t salt, uint32_t i)
{
    uint32_t h = mix(salt ^ i), rounds = 1 + h % MAX_COST;
    for (uint32_t r = 0; r < rounds; r++)
        h = mix(h + r);
    return h;
}

static void run_range(void *ctx, uint32_t begin, uint32_t end, uint32_t worker)
{
    struct job_state *j = ctx;
    if (begin >= end || end > j->n || worker >= llm_parallel_workers() || worker >= LLM_CHECK_MAX_WORKERS) {
        __atomic_fetch_add(&j->bad_calls, 1, __ATOMIC_RELAXED);
        return;
    }
    for (uint32_t i = begin; i < end; i++) {
        j->result[i] = compute(j->salt, i);
        j->hits[i]++;
        j->owner[i] = (uint8_t)worker;
    }
}

/* Job sizes: a fifth empty or tiny (fewer indices than workers), a fifth
 * large, the rest in between. */
static uint32_t job_size(uint32_t r)
{
    switch (r % 5) {
    case 0:
        return r / 5 % 4;
    case 1:
        return 1024 + r / 5 % (MAX_N - 1023);
    default:
        return 4 + r / 5 % 252;
    }
}

int llm_parallel_check(uint32_t jobs, uint32_t seed, int (*stop)(void *), void *user,
                       struct llm_parallel_check *out)
{
    memset(out, 0, sizeof(*out));
    out->workers = llm_parallel_workers();
    struct job_state j = { 0 };
    j.result = llm_alloc(MAX_N * sizeof(uint32_t), 64);
    j.hits = llm_alloc(MAX_N, 64);
    j.owner = llm_alloc(MAX_N, 64);
    int rc = j.result && j.hits && j.owner ? 0 : -1;
    for (uint32_t k = 0; rc == 0 && k < jobs; k++) {
        if (stop && stop(user)) {
            out->stopped = 1;
            break;
        }
        j.n = job_size(mix(seed + k));
        j.salt = mix(seed ^ (k * 0x9e3779b9u));
        j.bad_calls = 0;
        memset(j.hits, 0, j.n);
        llm_parallel_for(j.n, run_range, &j);
        out->errors += j.bad_calls;
        for (uint32_t i = 0; i < j.n; i++) {
            if (j.hits[i] != 1 || j.owner[i] >= out->workers || j.result[i] != compute(j.salt, i)) {
                out->errors++;
                continue;
            }
            out->by_worker[j.owner[i]]++;
        }
        out->indices += j.n;
        out->jobs++;
    }
    llm_free(j.result);
    llm_free(j.hits);
    llm_free(j.owner);
    return rc;
}
