/* platform.h: what the network stack needs from its environment. The
 * protocol code (link, IPv4, ICMP, UDP, DHCP, TCP, HTTP, JSON) is plain C
 * that also builds on the host for the fuzz targets; the kernel provides
 * these functions in net/net_kernel.c (e1000, PIT, cli/sti), the fuzzing
 * harness in tests/fuzz/net_host.c. */
#ifndef NET_PLATFORM_H
#define NET_PLATFORM_H
#include <stddef.h>
#include <stdint.h>

/* Milliseconds on a clock that only goes forward. */
uint64_t net_now_ms(void);

/* Hands one Ethernet frame (no FCS) to the card; 0, or -1 when it is full
 * or absent (the frame is dropped: TCP sends it again). */
int net_link_send(const void *frame, size_t len);

/* The stack runs from the card's interrupt and the timer tick; code outside
 * them brackets every call into it with these (interrupts off). Nesting is
 * allowed: unlock restores what lock returned. */
uint32_t net_lock(void);
void net_unlock(uint32_t saved);

/* Unpredictable 32 bits (initial sequence numbers, DHCP transaction ids). */
uint32_t net_random(void);

#endif
