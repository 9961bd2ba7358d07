/* parallel.c: parallel_for over the online CPUs. A job is published in one
 * state word: generation (bits 8-31), closed (bit 7), the number of APs that
 * joined it (bits 0-6). An AP joins with a compare-and-swap on that word
 * (only an open job of the generation it saw), and only then reads the job;
 * ranges are handed out from one atomic counter, a range being about a
 * quarter of an equal share. When the boot CPU has run out of ranges it
 * closes the job and waits only for the APs that joined: an AP the host has
 * descheduled (under emulation every CPU is a host thread) and that has not
 * joined yet holds nothing up, it just skips the job.
 *
 * An AP that has had no job for IDLE_SPIN_US halts until the wake-up IPI, so
 * idle APs cost the host nothing; during inference jobs follow each other
 * closely and the APs stay in their spin loop, with no IPI latency. The sleep
 * handshake: an AP sets sleeping[cpu] and then reads the state, the boot CPU
 * publishes the state and then reads sleeping[cpu]; both with sequentially
 * consistent atomics (a locked instruction or mfence, because x86 may let a
 * load overtake an earlier store), so at least one sees the other's write:
 * either the AP sees the job, or the boot CPU sends the IPI. The AP checks
 * with interrupts off and halts with `sti; hlt`, so an IPI that comes between
 * the check and the halt still ends the halt. */
#include "arch/x86/parallel.h"
#include "arch/x86/apic.h"
#include "arch/x86/io.h"
#include "arch/x86/panic.h"
#include "arch/x86/smp.h"
#include "arch/x86/timer.h"

#define RANGES_PER_WORKER 4
#define IDLE_SPIN_US 2000u
#define STATE_GENERATION_SHIFT 8
#define STATE_CLOSED 0x80u
#define STATE_JOINED_MASK 0x7fu

struct job {
    parallel_fn fn;
    void *ctx;
    uint32_t n, range;
    uint32_t next;      /* first index not yet handed out */
    uint32_t finished;  /* APs that joined and are done */
};

static struct job job;
static uint32_t state;
static uint32_t sleeping[MAX_CPUS];
static int job_running;
static struct parallel_stats stats;

uint32_t parallel_workers(void)
{
    return smp_online();
}

static void take_ranges(uint32_t worker)
{
    uint64_t t0 = rdtsc();
    uint32_t ranges = 0;
    for (;;) {
        uint32_t begin = __atomic_fetch_add(&job.next, job.range, __ATOMIC_RELAXED);
        if (begin >= job.n)
            break;
        uint32_t end = job.n - begin < job.range ? job.n : begin + job.range;
        job.fn(job.ctx, begin, end, worker);
        ranges++;
    }
    stats.busy_tsc[worker] += rdtsc() - t0;
    stats.ranges[worker] += ranges;
}

void parallel_for(uint32_t n, parallel_fn fn, void *ctx)
{
    uint32_t workers = smp_online();
    if (n == 0)
        return;
    if (job_running)
        panic("parallel_for: nested call (only the boot CPU hands out jobs)");
    uint64_t t0 = rdtsc();
    if (workers == 1 || n == 1) { /* nothing to share: no CPU is woken */
        fn(ctx, 0, n, 0);
        stats.busy_tsc[0] += rdtsc() - t0;
        stats.ranges[0]++;
        stats.wall_tsc += rdtsc() - t0;
        stats.jobs++;
        return;
    }
    job_running = 1;
    job.fn = fn;
    job.ctx = ctx;
    job.n = n;
    job.range = (n + workers * RANGES_PER_WORKER - 1) / (workers * RANGES_PER_WORKER);
    job.next = 0;
    job.finished = 0;
    uint32_t generation = (state >> STATE_GENERATION_SHIFT) + 1;
    /* Publishes the fields above: an AP reads them only after joining. */
    __atomic_store_n(&state, generation << STATE_GENERATION_SHIFT, __ATOMIC_SEQ_CST);
    for (uint32_t w = 1; w < workers; w++)
        if (__atomic_load_n(&sleeping[w], __ATOMIC_SEQ_CST))
            apic_send_wake(smp_apic_id(w));
    take_ranges(0);
    uint32_t joined = __atomic_fetch_or(&state, STATE_CLOSED, __ATOMIC_SEQ_CST) & STATE_JOINED_MASK;
    while (__atomic_load_n(&job.finished, __ATOMIC_ACQUIRE) != joined)
        __asm__ volatile("pause");
    stats.wall_tsc += rdtsc() - t0;
    stats.jobs++;
    job_running = 0;
}

/* Joins the job of generation `generation` if it is still open. */
static int join(uint32_t generation)
{
    uint32_t s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
    while (s >> STATE_GENERATION_SHIFT == generation && !(s & STATE_CLOSED)) {
        if (__atomic_compare_exchange_n(&state, &s, s + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return 1;
    }
    return 0;
}

void parallel_worker_loop(uint32_t cpu)
{
    uint32_t seen = __atomic_load_n(&state, __ATOMIC_SEQ_CST) >> STATE_GENERATION_SHIFT;
    uint64_t spin_tsc = tsc_hz() / 1000000u * IDLE_SPIN_US;
    for (;;) {
        uint64_t until = rdtsc() + spin_tsc;
        while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) >> STATE_GENERATION_SHIFT == seen && rdtsc() < until)
            __asm__ volatile("pause");
        if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) >> STATE_GENERATION_SHIFT == seen) {
            cpu_cli();
            __atomic_store_n(&sleeping[cpu], 1, __ATOMIC_SEQ_CST);
            if (__atomic_load_n(&state, __ATOMIC_SEQ_CST) >> STATE_GENERATION_SHIFT == seen)
                cpu_sti_hlt();
            __atomic_store_n(&sleeping[cpu], 0, __ATOMIC_SEQ_CST);
            cpu_cli(); /* interrupts stay off in the worker: only the wake-up IPI ends a halt */
            continue;
        }
        seen = __atomic_load_n(&state, __ATOMIC_ACQUIRE) >> STATE_GENERATION_SHIFT;
        if (!join(seen))
            continue; /* closed already: the others did it */
        take_ranges(cpu);
        __atomic_fetch_add(&job.finished, 1, __ATOMIC_RELEASE);
    }
}

void parallel_stats_reset(void)
{
    struct parallel_stats zero = { 0 };
    stats = zero;
}

const struct parallel_stats *parallel_get_stats(void)
{
    return &stats;
}
