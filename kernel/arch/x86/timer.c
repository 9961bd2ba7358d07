/* timer.c: PIT channel 0 as a 1000 Hz tick, and TSC calibration. Under
 * emulation, counting PIT interrupts can lose ticks while the guest is busy,
 * so fine time is the TSC, measured against PIT channel 2, whose counter
 * follows the virtual clock exactly. The host may deschedule the emulator at
 * any moment, which only matters at the two ends of a measurement: each end
 * is a counter read bracketed by two TSC reads, and of several tries the one
 * with the tightest bracket is kept. */
#include "arch/x86/timer.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/io.h"
#include "arch/x86/panic.h"

#define PIT_HZ 1193182u
#define TICK_HZ 1000u
#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_MODE 0x43
#define PORT_B 0x61           /* bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 out */
#define CALIB_SPAN 23864u     /* PIT clocks between the two ends (20 ms); the
                                 counter runs out after 55 ms, so a stall of up
                                 to 35 ms is harmless */
#define CALIB_TRIES 5         /* counter reads per end */
#define CALIB_ROUNDS 3
#define CALIB_TRIES_MAX 100

static volatile uint64_t ticks;
static uint64_t tsc_start;
static uint64_t tsc_freq;
static void (*volatile tick_hook)(void);

static void pit_tick(struct int_frame *frame)
{
    (void)frame;
    ticks++;
    if (tick_hook)
        tick_hook();
}

void timer_set_tick_hook(void (*hook)(void))
{
    tick_hook = hook;
}

struct pit_sample {
    uint32_t count;  /* channel 2 counter */
    uint64_t tsc;    /* TSC at the middle of the bracket */
    uint64_t width;  /* bracket width in TSC cycles */
};

static struct pit_sample pit_sample_best(void)
{
    struct pit_sample best = { 0, 0, ~0ull };
    for (int i = 0; i < CALIB_TRIES; i++) {
        uint64_t t0 = rdtsc();
        outb(PIT_MODE, 0x80); /* latch channel 2 */
        uint32_t count = inb(PIT_CH2);
        count |= (uint32_t)inb(PIT_CH2) << 8;
        uint64_t t1 = rdtsc();
        if (t1 - t0 < best.width)
            best = (struct pit_sample){ count, t0 + (t1 - t0) / 2, t1 - t0 };
    }
    return best;
}

struct tsc_estimate {
    uint64_t hz;
    uint64_t span;  /* TSC cycles measured */
    uint64_t slack; /* uncertainty at both ends, TSC cycles */
};

/* One measurement over CALIB_SPAN PIT clocks. Returns 0 if the counter ran
 * out first (the emulator was stalled too long to know the span). */
static int tsc_measure(struct tsc_estimate *e)
{
    outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);
    outb(PIT_MODE, 0xb0);     /* channel 2, lo/hi byte, mode 0: count down once */
    outb(PIT_CH2, 0xff);
    outb(PIT_CH2, 0xff);
    struct pit_sample a = pit_sample_best();
    struct pit_sample b;
    uint32_t spins = 0;
    do {
        b = pit_sample_best();
        if (++spins > 10000000u)
            panic("timer: PIT channel 2 does not count");
    } while (a.count - b.count < CALIB_SPAN && !(inb(PORT_B) & 0x20));
    if ((inb(PORT_B) & 0x20) || b.count > a.count)
        return 0;
    e->span = b.tsc - a.tsc;
    e->slack = a.width + b.width;
    e->hz = e->span * PIT_HZ / (a.count - b.count);
    return 1;
}

/* Median of three measurements whose ends are known to 1/2000 of the span;
 * under a host too busy to give three of those within CALIB_TRIES_MAX, the most
 * precise measurement seen. */
static uint64_t tsc_calibrate(void)
{
    uint64_t good[CALIB_ROUNDS];
    int n = 0;
    struct tsc_estimate best = { 0, 1, ~0ull }, e;
    for (int tries = 0; tries < CALIB_TRIES_MAX && n < CALIB_ROUNDS; tries++) {
        if (!tsc_measure(&e))
            continue;
        if (e.slack * 2000 <= e.span)
            good[n++] = e.hz;
        /* compare slack/span ratios without division */
        if (e.slack * best.span < best.slack * e.span)
            best = e;
    }
    if (n == CALIB_ROUNDS) {
        uint64_t lo = good[0] < good[1] ? good[0] : good[1];
        uint64_t hi = good[0] < good[1] ? good[1] : good[0];
        return good[2] < lo ? lo : good[2] > hi ? hi : good[2];
    }
    if (best.hz == 0)
        panic("timer: the PIT ran out in every TSC calibration attempt");
    return best.hz;
}

void timer_init(void)
{
    uint32_t flags = cpu_save_flags_cli();
    tsc_freq = tsc_calibrate();
    if (tsc_freq == 0)
        panic("timer: the TSC does not advance");

    uint32_t divisor = (PIT_HZ + TICK_HZ / 2) / TICK_HZ;
    outb(PIT_MODE, 0x34);     /* channel 0, lo/hi byte, mode 2 (rate generator) */
    outb(PIT_CH0, divisor & 0xff);
    outb(PIT_CH0, divisor >> 8);
    tsc_start = rdtsc();
    irq_install(0, pit_tick);
    cpu_restore_flags(flags);
}

uint64_t timer_ns(void)
{
    if (tsc_freq == 0) /* before timer_init: no time has been measured yet */
        return 0;
    uint64_t t = rdtsc() - tsc_start;
    return t / tsc_freq * 1000000000ull + t % tsc_freq * 1000000000ull / tsc_freq;
}

uint64_t uptime_ms(void)
{
    return timer_ns() / 1000000ull;
}

uint64_t timer_ticks(void)
{
    uint32_t flags = cpu_save_flags_cli(); /* a 64-bit read is two loads */
    uint64_t t = ticks;
    cpu_restore_flags(flags);
    return t;
}

uint64_t tsc_hz(void)
{
    return tsc_freq;
}

void timer_sleep_ms(uint32_t ms)
{
    uint64_t end = timer_ns() + (uint64_t)ms * 1000000ull;
    while (timer_ns() < end)
        cpu_sti_hlt();
}
