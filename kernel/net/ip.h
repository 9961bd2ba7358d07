/* ip.h: IPv4 input and output (no fragments: the MTU is 1500 on both sides
 * of QEMU's user network and TCP keeps segments within it), the Internet
 * checksum, and ICMP echo (replies to pings, and `ping` itself). */
#ifndef NET_IP_H
#define NET_IP_H
#include <stddef.h>
#include <stdint.h>

/* One's-complement sum of data folded into 16 bits and inverted, starting
 * from `sum` (a pseudo-header's partial sum, or 0). */
uint16_t ip_checksum(const void *data, size_t len, uint32_t sum);
/* Partial sum of the TCP/UDP pseudo-header. */
uint32_t ip_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/* Sends len bytes of protocol payload placed at frame + NET_L4_OFFSET
 * (frame has NET_FRAME_MAX bytes); fills the IPv4 and Ethernet headers.
 * 0, or -1 (no route, unresolved next hop, card full). */
int ip_send(uint8_t *frame, uint32_t dst, uint8_t proto, size_t len);

void ip_input(const uint8_t *pkt, size_t len);

/* ICMP */
void icmp_input(uint32_t src, const uint8_t *msg, size_t len);
/* Sends an echo request; 0 or -1. */
int icmp_echo_send(uint32_t dst, uint16_t id, uint16_t seq, size_t data_len);
/* The sequence number of the last echo reply received for `id` with its
 * arrival time; -1 before any. */
int icmp_echo_last(uint16_t id, uint64_t *when_ms);

#endif
