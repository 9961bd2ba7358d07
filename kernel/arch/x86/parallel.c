/* parallel.c: parallel_for over the online CPUs, by the hand-out protocol
 * of llm/handout.h (the host program's threads follow it too): the boot CPU
 * publishes a job, takes ranges itself, closes the job and waits for the APs
 * that joined it.
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
#include "handout.h"

#define IDLE_SPIN_US 2000u

_Static_assert(MAX_CPUS <= HANDOUT_MAX_WORKERS, "a job has a region per CPU");

static struct handout job;
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
    uint32_t ranges = handout_take(&job, worker);
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
    handout_publish(&job, n, fn, ctx, workers);
    for (uint32_t w = 1; w < workers; w++)
        if (__atomic_load_n(&sleeping[w], __ATOMIC_SEQ_CST))
            apic_send_wake(smp_apic_id(w));
    take_ranges(0);
    handout_close_and_wait(&job);
    stats.wall_tsc += rdtsc() - t0;
    stats.jobs++;
    job_running = 0;
}

void parallel_worker_loop(uint32_t cpu)
{
    uint32_t seen = handout_generation(&job, __ATOMIC_SEQ_CST);
    uint64_t spin_tsc = tsc_hz() / 1000000u * IDLE_SPIN_US;
    for (;;) {
        uint64_t until = rdtsc() + spin_tsc;
        uint32_t polls = 0;
        while (handout_generation(&job, __ATOMIC_ACQUIRE) == seen)
            if (handout_spin(&polls) && rdtsc() >= until)
                break;
        if (handout_generation(&job, __ATOMIC_ACQUIRE) == seen) {
            cpu_cli();
            __atomic_store_n(&sleeping[cpu], 1, __ATOMIC_SEQ_CST);
            if (handout_generation(&job, __ATOMIC_SEQ_CST) == seen)
                cpu_sti_hlt();
            __atomic_store_n(&sleeping[cpu], 0, __ATOMIC_SEQ_CST);
            cpu_cli(); /* interrupts stay off in the worker: only the wake-up IPI ends a halt */
            continue;
        }
        seen = handout_generation(&job, __ATOMIC_ACQUIRE);
        if (!handout_join(&job, seen))
            continue; /* closed already: the others did it */
        take_ranges(cpu);
        handout_leave(&job);
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
