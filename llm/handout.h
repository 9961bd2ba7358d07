/* handout.h: how one caller shares the index range [0, n) of a job among
 * workers that run at once: the OS's CPUs (kernel/arch/x86/parallel.c) and
 * the host program's threads (llm/host/platform_host.c) both follow it, and
 * only how a waiting worker sleeps and is woken differs between them.
 *
 * A job is published in one state word: generation (bits 8-31), closed
 * (bit 7), the number of workers that joined it (bits 0-6). A worker joins
 * with a compare-and-swap on that word (only an open job of the generation
 * it saw), and only then reads the job. The index range is cut into one
 * region per worker, each with its own counter on its own cache line: a
 * worker takes ranges from the front of its own region first, then from the
 * others' (in turn after its own), so while there is work of its own it
 * touches no line another worker writes, and a worker that never joins
 * leaves nothing undone. Within a region the ranges shrink: each is a share
 * of what is left of it (HANDOUT_SHARE_DIVISOR), so the first range is long
 * and the last ones short, and the workers run out of work at nearly the
 * same time.
 * When the caller has run out of ranges it closes the job and waits only for
 * the workers that joined: one that was descheduled (under emulation every
 * CPU is a host thread) and has not joined yet holds nothing up, it just
 * skips the job. */
#ifndef LLM_HANDOUT_H
#define LLM_HANDOUT_H

#include <stdint.h>

/* Spinning waits (for a job, for the workers of one) poll the state word
 * and execute `pause` only once every HANDOUT_POLLS_PER_PAUSE polls. Under
 * QEMU's software emulation `pause` leaves the translated code for the
 * emulator's main loop (to let another vCPU run) and costs microseconds: a
 * waiter pausing on every poll noticed a new job or a finished worker late
 * (measured: generation on 2 vCPUs 1.37x one vCPU with it, 1.54x without).
 * On real CPUs the occasional pause still yields to a sibling hyperthread.
 * handout_spin returns 1 when it paused: a waiter with a deadline reads the
 * clock only then. Under emulation reading the time stamp counter is a call
 * into the emulator that takes a lock all vCPUs share: with an AP reading
 * it on every poll, 9-14% of QEMU's samples during generation on 2 vCPUs
 * were in that call (tokens per second did not change measurably). */
#define HANDOUT_POLLS_PER_PAUSE 1024u

static inline int handout_spin(uint32_t *polls)
{
    if (++*polls % HANDOUT_POLLS_PER_PAUSE != 0)
        return 0;
    __builtin_ia32_pause();
    return 1;
}

typedef void (*handout_fn)(void *ctx, uint32_t begin, uint32_t end, uint32_t worker);

/* The most workers a job can have (the joined count's field holds 127). */
#define HANDOUT_MAX_WORKERS 64
/* A cache line: the unit the CPUs' caches pass between each other. */
#define HANDOUT_LINE_BYTES 64

struct handout_region {
    uint32_t next, end; /* [next, end): indices of the region not handed out yet */
} __attribute__((aligned(HANDOUT_LINE_BYTES)));

struct handout {
    handout_fn fn;
    void *ctx;
    uint32_t n, workers;
    uint32_t finished;  /* workers that joined and are done */
    uint32_t state;     /* generation, closed, joined (above) */
    struct handout_region region[HANDOUT_MAX_WORKERS]; /* [workers] in use */
};

/* The caller: publishes job (fn over [0, n)) for `workers` workers (at
 * most HANDOUT_MAX_WORKERS), itself included, with a sequentially
 * consistent store, so that a worker that announces it is going to sleep
 * and then reads the state either sees the job or is seen by the caller's
 * later check of its announcement. */
void handout_publish(struct handout *h, uint32_t n, handout_fn fn, void *ctx, uint32_t workers);
/* The caller, after its own handout_take: closes the job and waits (spinning,
 * handout_spin) until every worker that joined has finished. */
void handout_close_and_wait(struct handout *h);

/* The generation of the latest job (`order`: an __ATOMIC_* memory order). */
uint32_t handout_generation(const struct handout *h, int order);
/* A worker: 1 when it joined the job of `generation`, 0 when that job is
 * closed or gone; only after a join may it take ranges. */
int handout_join(struct handout *h, uint32_t generation);
/* Caller or joined worker: runs ranges until none is left; how many it ran. */
uint32_t handout_take(struct handout *h, uint32_t worker);
/* A joined worker, after its handout_take. */
void handout_leave(struct handout *h);

#endif
