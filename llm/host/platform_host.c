/* platform_host.c: llm/platform.h on Linux/glibc, for build/host/myos-llm and
 * the host test harnesses. llm_parallel_for runs on a pool of POSIX threads
 * by the hand-out protocol of handout.h (the kernel's CPUs follow it too); a
 * thread with no job for a while sleeps on a condition variable instead of
 * spinning.
 * llm_alloc counts the bytes the engine holds (llm_host_alloc_stats), which
 * the tests compare with llm_memory_needed. */
#define _FILE_OFFSET_BITS 64 /* model files beyond 2 GiB in the 32-bit builds too */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "handout.h"
#include "platform.h"
#include "host/platform_host.h"
#include "llm.h"

#define IDLE_SPIN_NS 200000u

_Static_assert(LLM_HOST_MAX_THREADS <= HANDOUT_MAX_WORKERS, "a job has a region per thread");

static struct handout job;
static uint32_t n_threads = 1;
static uint32_t sleepers;
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;

/* Before each block: where the allocation starts and the bytes asked for,
 * which llm_host_alloc_stats counts. */
struct block_header {
    void *base;
    size_t size;
};
#define HEADER_ROOM 16 /* sizeof(struct block_header), rounded to the least alignment */

static uint64_t bytes_live, bytes_peak; /* atomics: workers may allocate too */

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
    uint64_t live = __atomic_add_fetch(&bytes_live, size, __ATOMIC_RELAXED);
    uint64_t peak = __atomic_load_n(&bytes_peak, __ATOMIC_RELAXED);
    while (live > peak && !__atomic_compare_exchange_n(&bytes_peak, &peak, live, 1, __ATOMIC_RELAXED,
                                                       __ATOMIC_RELAXED))
        ;
    return user;
}

/* The C library has one heap and no placement to choose. */
void *llm_alloc_lasting(size_t size, size_t align)
{
    return llm_alloc(size, align);
}

void llm_free(void *ptr)
{
    if (!ptr)
        return;
    struct block_header *h = (struct block_header *)((char *)ptr - HEADER_ROOM);
    __atomic_sub_fetch(&bytes_live, h->size, __ATOMIC_RELAXED);
    free(h->base);
}

void llm_host_alloc_stats(uint64_t *live, uint64_t *peak)
{
    *live = __atomic_load_n(&bytes_live, __ATOMIC_RELAXED);
    *peak = __atomic_load_n(&bytes_peak, __ATOMIC_RELAXED);
}

void llm_host_alloc_reset_peak(void)
{
    __atomic_store_n(&bytes_peak, __atomic_load_n(&bytes_live, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
}

uint64_t llm_time_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* fread copies from the page cache without a wait the engine could use. */
void llm_while_reading(void (*work)(void *ctx), void *ctx)
{
    (void)work;
    (void)ctx;
}

void llm_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* A worker thread: spin a little for the next job, then sleep. The thread
 * counts itself among the sleepers before its last look at the state, and
 * the publisher reads the sleepers after publishing (both sequentially
 * consistent), so a job is never missed. */
static void *worker_main(void *arg)
{
    uint32_t worker = (uint32_t)(uintptr_t)arg;
    uint32_t seen = handout_generation(&job, __ATOMIC_SEQ_CST);
    for (;;) {
        uint64_t until = llm_time_ns() + IDLE_SPIN_NS;
        uint32_t polls = 0;
        while (handout_generation(&job, __ATOMIC_ACQUIRE) == seen)
            if (handout_spin(&polls) && llm_time_ns() >= until)
                break;
        if (handout_generation(&job, __ATOMIC_ACQUIRE) == seen) {
            pthread_mutex_lock(&sleep_lock);
            __atomic_fetch_add(&sleepers, 1, __ATOMIC_SEQ_CST);
            while (handout_generation(&job, __ATOMIC_SEQ_CST) == seen)
                pthread_cond_wait(&wake, &sleep_lock);
            __atomic_fetch_sub(&sleepers, 1, __ATOMIC_SEQ_CST);
            pthread_mutex_unlock(&sleep_lock);
        }
        seen = handout_generation(&job, __ATOMIC_ACQUIRE);
        if (!handout_join(&job, seen))
            continue;
        handout_take(&job, worker);
        handout_leave(&job);
    }
    return NULL;
}

int llm_host_set_threads(uint32_t threads)
{
    if (threads < 1 || threads > LLM_HOST_MAX_THREADS || n_threads != 1)
        return -1;
    for (uint32_t w = 1; w < threads; w++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker_main, (void *)(uintptr_t)w) != 0)
            return -1; /* the ones started wait for jobs that n_threads never gives them */
        pthread_detach(t);
    }
    n_threads = threads;
    return 0;
}

void llm_parallel_for(uint32_t n, handout_fn fn, void *ctx)
{
    if (n == 0)
        return;
    if (n_threads == 1 || n == 1) {
        fn(ctx, 0, n, 0);
        return;
    }
    handout_publish(&job, n, fn, ctx, n_threads);
    if (__atomic_load_n(&sleepers, __ATOMIC_SEQ_CST)) {
        pthread_mutex_lock(&sleep_lock);
        pthread_cond_broadcast(&wake);
        pthread_mutex_unlock(&sleep_lock);
    }
    handout_take(&job, 0);
    handout_close_and_wait(&job);
}

uint32_t llm_parallel_workers(void)
{
    return n_threads;
}

/* ---- files read in parts ------------------------------------------------ */

static int file_read(void *ctx, uint64_t offset, void *buf, size_t len, char *err, size_t errlen)
{
    FILE *f = ctx;
    if (fseeko(f, (off_t)offset, SEEK_SET) != 0 || fread(buf, 1, len, f) != len) {
        snprintf(err, errlen, "cannot read %lu bytes at %llu: %s", (unsigned long)len, (unsigned long long)offset,
                 ferror(f) ? strerror(errno) : "the file is shorter");
        return -1;
    }
    return 0;
}

int llm_host_file_open(const char *path, struct llm_file *out)
{
    FILE *f = fopen(path, "rb");
    memset(out, 0, sizeof *out);
    if (!f)
        return -1;
    if (fseeko(f, 0, SEEK_END) != 0) {
        fclose(f);
        return -1;
    }
    out->size = (uint64_t)ftello(f);
    out->read = file_read;
    out->ctx = f;
    return 0;
}

void llm_host_file_close(struct llm_file *f)
{
    if (f->ctx)
        fclose(f->ctx);
    memset(f, 0, sizeof *f);
}
