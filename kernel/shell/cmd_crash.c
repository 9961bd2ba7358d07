/* cmd_crash.c: `crash divide|opcode|null|stack|ap` raises a CPU exception on
 * purpose, to show (and test) the panic screen; `ap` makes the last online
 * application processor read address 0 from inside a parallel job. */
#include "shell/command.h"
#include "arch/x86/parallel.h"
#include "arch/x86/timer.h"
#include "drivers/console.h"
#include "lib/string.h"

/* Recursion the compiler cannot turn into a loop or prove endless. */
static volatile int keep_recursing = 1;

static int __attribute__((noinline)) recurse(int depth)
{
    volatile char frame[512];
    frame[depth & 511] = (char)depth;
    if (keep_recursing)
        return recurse(depth + 1) + frame[0];
    return frame[0];
}

#define AP_WAIT_MS 2000

struct ap_crash {
    uint32_t target;   /* the worker that faults */
    int entered;       /* it has started its range */
    uint64_t deadline; /* timer_ns: give up waiting for it */
};

/* One index per worker. The others wait until the target has an index (so
 * they cannot take them all), then the target faults; its panic stops them. */
static void crash_range(void *ctx, uint32_t begin, uint32_t end, uint32_t worker)
{
    struct ap_crash *c = ctx;
    (void)begin;
    (void)end;
    if (worker == c->target) {
        __atomic_store_n(&c->entered, 1, __ATOMIC_SEQ_CST);
        volatile int *volatile null = 0; /* a volatile read: it cannot be left out */
        (void)*null;
    }
    while (!__atomic_load_n(&c->entered, __ATOMIC_SEQ_CST) && timer_ns() < c->deadline)
        __asm__ volatile("pause");
}

static int crash_on_ap(void)
{
    uint32_t workers = parallel_workers();
    if (workers < 2) {
        kprintf("error: crash ap needs a second CPU (only the boot CPU is online)\n");
        return 1;
    }
    struct ap_crash c = { workers - 1, 0, timer_ns() + AP_WAIT_MS * 1000000ull };
    parallel_for(workers, crash_range, &c);
    kprintf("error: CPU %u %s\n", (unsigned)c.target,
            c.entered ? "did not fault" : "took no part in the job in time");
    return 1;
}

static int cmd_crash(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "divide") == 0) {
        /* In asm: C would let the compiler fold or reshape the division. */
        unsigned lo = 1, hi = 0, zero = 0;
        __asm__ volatile("divl %2" : "+a"(lo), "+d"(hi) : "r"(zero));
        return (int)lo;
    }
    if (argc == 2 && strcmp(argv[1], "opcode") == 0) {
        __asm__ volatile("ud2");
    }
    if (argc == 2 && strcmp(argv[1], "null") == 0) {
        int *volatile null = 0; /* volatile: the compiler cannot prove it is NULL */
        return *null;
    }
    if (argc == 2 && strcmp(argv[1], "stack") == 0)
        return recurse(0);
    if (argc == 2 && strcmp(argv[1], "ap") == 0)
        return crash_on_ap();
    kprintf("error: usage: crash divide|opcode|null|stack|ap\n");
    return 1;
}
SHELL_COMMAND(crash, "raise a CPU exception: divide|opcode|null|stack|ap (on an AP)", cmd_crash);
