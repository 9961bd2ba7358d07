/* net.h: the network interface (one Ethernet card, IPv4 configured by DHCP)
 * and the entry points of the stack: frames from the card, the timer tick.
 * Both run with interrupts off (from the card's IRQ and the PIT tick), so
 * the protocol code never races with itself; shell commands reach it under
 * net_lock. Addresses are kept in host byte order. */
#ifndef NET_NET_H
#define NET_NET_H
#include <stddef.h>
#include <stdint.h>

#define ETH_HDR_LEN 14
#define IP_HDR_LEN 20
#define NET_MTU 1500
#define NET_FRAME_MAX (ETH_HDR_LEN + NET_MTU)
/* Where a transport header starts in a frame being built. */
#define NET_L4_OFFSET (ETH_HDR_LEN + IP_HDR_LEN)
#define NET_TICK_MS 10 /* period of net_tick */

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17

struct net_iface {
    int present;              /* a card was found and started */
    int link;                 /* the card reports link up */
    const char *driver;
    uint8_t mac[6];
    uint32_t ip, mask, gateway, dns; /* 0 until DHCP has a lease */
    uint32_t dhcp_server;
    uint32_t lease_s;         /* lease length granted */
    uint64_t lease_ms;        /* when it was granted (net_now_ms) */
    uint32_t rx_frames, tx_frames, rx_dropped, tx_dropped;
};

extern struct net_iface net_if;

/* A card is up with this address: start DHCP. */
void net_start(const char *driver, const uint8_t mac[6]);

/* One received Ethernet frame (without FCS). */
void net_input(const uint8_t *frame, size_t len);

/* Every NET_TICK_MS: retransmissions, timeouts, DHCP renewal. */
void net_tick(void);

/* Sends the frame whose Ethernet payload (len bytes) starts at
 * frame + ETH_HDR_LEN; fills the Ethernet header. 0 or -1. */
int eth_send(uint8_t *frame, const uint8_t dst[6], uint16_t type, size_t len);

/* ARP: the MAC of an on-link address. 1 when known; 0 when not yet (a
 * request goes out, the caller's packet is dropped and sent again later). */
int arp_resolve(uint32_t ip, uint8_t mac[6]);
void arp_input(const uint8_t *pkt, size_t len);
void arp_tick(void);

/* "a.b.c.d" into *ip; 0, or -1 if it is not a dotted quad. */
int net_parse_ip(const char *s, uint32_t *ip);
/* Writes "a.b.c.d" (at least 16 bytes). */
void net_format_ip(char *out, uint32_t ip);

#endif
