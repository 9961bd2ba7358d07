/* net_host.h: the network stack's platform (kernel/net/platform.h) for the
 * host builds: a clock the harness moves by hand, a card that records the
 * last frame sent, no interrupts to lock out, and fixed "random" numbers so
 * runs repeat. */
#ifndef FUZZ_NET_HOST_H
#define FUZZ_NET_HOST_H
#include <stddef.h>
#include <stdint.h>

extern uint64_t net_host_clock_ms;
extern uint8_t net_host_last_frame[1514];
extern size_t net_host_last_len;
extern unsigned long net_host_frames_sent;

/* Resets the stack's interface to 10.0.2.15/24 via 10.0.2.2, link up. */
void net_host_configure(void);

#endif
