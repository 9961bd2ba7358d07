/* udp.h: UDP (RFC 768), enough for the DHCP client. */
#ifndef NET_UDP_H
#define NET_UDP_H
#include <stddef.h>
#include <stdint.h>

#define UDP_HDR_LEN 8

void udp_input(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len);
/* Sends len bytes placed at frame + NET_L4_OFFSET + UDP_HDR_LEN. */
int udp_send(uint8_t *frame, uint16_t src_port, uint32_t dst, uint16_t dst_port, size_t len);

#endif
