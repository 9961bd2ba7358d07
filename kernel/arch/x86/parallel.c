/* parallel.c: parallel_for over the online CPUs. A job is published by
 * bumping `generation`; the ranges are handed out from one atomic counter, a
 * range being about a quarter of an equal share, so that a CPU the host
 * descheduled (under emulation every CPU is a host thread) holds up little.
 * An AP that has had no job for IDLE_SPIN_US halts until the wake-up IPI, so
 * idle APs cost the host nothing; during inference jobs follow each other
 * closely and the APs stay in their spin loop, with no IPI latency.
 *
 * The sleep handshake: an AP sets sleeping[cpu] and then reads generation,
 * the boot CPU bumps generation and then reads sleeping[cpu]; both with
 * sequentially consistent atomics (a locked instruction or mfence, because
 * x86 may let a load overtake an earlier store), so at least one of them sees
 * the other's write: either the AP sees the job, or the boot CPU sends the
 * IPI. The AP checks with interrupts off and halts with `sti; hlt`, so an IPI
 * that comes between the check and the halt still ends the halt. */
#include "arch/x86/parallel.h"
#include "arch/x86/apic.h"
#include "arch/x86/io.h"
#include "arch/x86/panic.h"
#include "arch/x86/smp.h"
#include "arch/x86/timer.h"

#define RANGES_PER_WORKER 4
#define IDLE_SPIN_US 2000u

struct job {
    parallel_fn fn;
    void *ctx;
    uint32_t n, range;
    uint32_t next;      /* first index not yet handed out */
    uint32_t pending;   /* APs that have not finished this job */
};

static struct job job;
static uint32_t generation;
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
    if (workers == 1) {
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
    job.pending = workers - 1;
    __atomic_fetch_add(&generation, 1, __ATOMIC_SEQ_CST); /* publishes the fields above */
    for (uint32_t w = 1; w < workers; w++)
        if (__atomic_load_n(&sleeping[w], __ATOMIC_SEQ_CST))
            apic_send_wake(smp_apic_id(w));
    take_ranges(0);
    while (__atomic_load_n(&job.pending, __ATOMIC_ACQUIRE))
        __asm__ volatile("pause");
    stats.wall_tsc += rdtsc() - t0;
    stats.jobs++;
    job_running = 0;
}

void parallel_worker_loop(uint32_t cpu)
{
    uint32_t seen = __atomic_load_n(&generation, __ATOMIC_SEQ_CST);
    uint64_t spin_tsc = tsc_hz() / 1000000u * IDLE_SPIN_US;
    for (;;) {
        uint64_t until = rdtsc() + spin_tsc;
        while (__atomic_load_n(&generation, __ATOMIC_ACQUIRE) == seen && rdtsc() < until)
            __asm__ volatile("pause");
        if (__atomic_load_n(&generation, __ATOMIC_ACQUIRE) == seen) {
            cpu_cli();
            __atomic_store_n(&sleeping[cpu], 1, __ATOMIC_SEQ_CST);
            if (__atomic_load_n(&generation, __ATOMIC_SEQ_CST) == seen)
                cpu_sti_hlt();
            __atomic_store_n(&sleeping[cpu], 0, __ATOMIC_SEQ_CST);
            cpu_cli(); /* interrupts stay off in the worker: only the wake-up IPI ends a halt */
            continue;
        }
        seen = __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
        take_ranges(cpu);
        __atomic_fetch_sub(&job.pending, 1, __ATOMIC_RELEASE);
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
