/* timer.c: PIT channel 0 as a 1000 Hz tick, and TSC calibration. Under
 * emulation, counting PIT interrupts can lose ticks while the guest is busy,
 * so fine time is the TSC, measured against PIT channel 2 (whose counter
 * follows the virtual clock exactly) with interrupts off. */
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
#define CALIB_COUNT 59659u    /* 50 ms of PIT input clock */
#define CALIB_ROUNDS 4

static volatile uint64_t ticks;
static uint64_t tsc_start;
static uint64_t tsc_freq;

static void pit_tick(struct int_frame *frame)
{
    (void)frame;
    ticks++;
}

/* TSC cycles during one channel-2 one-shot of CALIB_COUNT PIT clocks. */
static uint64_t tsc_cycles_one_shot(void)
{
    outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01);
    outb(PIT_MODE, 0xb0);     /* channel 2, lo/hi byte, mode 0 */
    outb(PIT_CH2, CALIB_COUNT & 0xff);
    outb(PIT_CH2, CALIB_COUNT >> 8);
    uint64_t t0 = rdtsc();
    for (uint32_t spins = 0; !(inb(PORT_B) & 0x20); spins++) {
        if (spins > 100000000u)
            panic("timer: PIT channel 2 never reached its terminal count");
    }
    return rdtsc() - t0;
}

void timer_init(void)
{
    uint32_t flags = cpu_save_flags_cli();
    uint64_t cycles = 0;
    for (int i = 0; i < CALIB_ROUNDS; i++)
        cycles += tsc_cycles_one_shot();
    tsc_freq = cycles * PIT_HZ / ((uint64_t)CALIB_COUNT * CALIB_ROUNDS);
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
