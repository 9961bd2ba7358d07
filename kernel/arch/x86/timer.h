/* timer.h: time keeping. The PIT interrupts at 1000 Hz (tick counter); fine
 * time comes from the TSC, calibrated against the PIT at boot. */
#ifndef ARCH_X86_TIMER_H
#define ARCH_X86_TIMER_H
#include <stdint.h>

void timer_init(void);          /* PIT at 1000 Hz + TSC calibration */
uint64_t timer_ns(void);        /* nanoseconds since timer_init (TSC) */
uint64_t uptime_ms(void);       /* milliseconds since timer_init (TSC) */
uint64_t timer_ticks(void);     /* PIT interrupts counted so far */
uint64_t tsc_hz(void);          /* calibrated TSC frequency */
void timer_sleep_ms(uint32_t ms); /* halts between interrupts */
/* Called from every PIT interrupt (interrupts off), e.g. for the network
 * stack's timers; one hook, NULL removes it. */
void timer_set_tick_hook(void (*hook)(void));

#endif
