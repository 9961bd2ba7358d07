/* ip.c: IPv4 (RFC 791) without options or fragments: checks every received
 * header, hands the payload to ICMP, UDP or TCP, and routes what we send to
 * the host itself when it is on our subnet, to the gateway otherwise. */
#include "net/ip.h"
#include "net/bytes.h"
#include "net/net.h"
#include "net/tcp.h"
#include "net/udp.h"
#include "lib/string.h"

#define IP_TTL 64
#define IP_FLAG_DF 0x4000
#define IP_FRAG_MASK 0x3fff /* MF flag and fragment offset */
#define BROADCAST 0xffffffffu

static uint16_t next_id;

uint16_t ip_checksum(const void *data, size_t len, uint32_t sum)
{
    const uint8_t *p = data;
    for (; len >= 2; p += 2, len -= 2)
        sum += (uint32_t)(p[0] << 8 | p[1]);
    if (len)
        sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t ip_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

int ip_send(uint8_t *frame, uint32_t dst, uint8_t proto, size_t len)
{
    static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    uint8_t mac[6];
    if (len > NET_MTU - IP_HDR_LEN)
        return -1;
    if (dst == BROADCAST) {
        memcpy(mac, broadcast, 6);
    } else {
        if (net_if.ip == 0)
            return -1;
        uint32_t hop = (dst & net_if.mask) == (net_if.ip & net_if.mask) ? dst : net_if.gateway;
        if (hop == 0 || !arp_resolve(hop, mac))
            return -1;
    }
    uint8_t *h = frame + ETH_HDR_LEN;
    h[0] = 0x45;
    h[1] = 0;
    put16(h + 2, (uint16_t)(IP_HDR_LEN + len));
    put16(h + 4, next_id++);
    put16(h + 6, IP_FLAG_DF);
    h[8] = IP_TTL;
    h[9] = proto;
    put16(h + 10, 0);
    put32(h + 12, net_if.ip);
    put32(h + 16, dst);
    put16(h + 10, ip_checksum(h, IP_HDR_LEN, 0));
    return eth_send(frame, mac, ETHERTYPE_IPV4, IP_HDR_LEN + len);
}

void ip_input(const uint8_t *h, size_t len)
{
    if (len < IP_HDR_LEN || h[0] >> 4 != 4)
        return;
    size_t hlen = (size_t)(h[0] & 15) * 4, total = get16(h + 2);
    if (hlen < IP_HDR_LEN || total < hlen || total > len || ip_checksum(h, hlen, 0) != 0)
        return;
    if (get16(h + 6) & IP_FRAG_MASK)
        return; /* fragments are not reassembled */
    uint32_t src = get32(h + 12), dst = get32(h + 16);
    /* Before DHCP has given us an address, only broadcasts (its replies). */
    if (dst != net_if.ip && dst != BROADCAST && !(net_if.ip == 0 && h[9] == IP_PROTO_UDP))
        return;
    const uint8_t *payload = h + hlen;
    size_t plen = total - hlen;
    switch (h[9]) {
    case IP_PROTO_ICMP:
        icmp_input(src, payload, plen);
        break;
    case IP_PROTO_UDP:
        udp_input(src, dst, payload, plen);
        break;
    case IP_PROTO_TCP:
        if (dst == net_if.ip)
            tcp_input(src, dst, payload, plen);
        break;
    }
}
