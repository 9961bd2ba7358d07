/* udp.c: UDP datagrams in and out; the only port listened to is DHCP's
 * client port. Checksums are checked when the sender computed one. */
#include "net/udp.h"
#include "net/bytes.h"
#include "net/dhcp.h"
#include "net/ip.h"
#include "net/net.h"

void udp_input(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len)
{
    if (len < UDP_HDR_LEN)
        return;
    size_t ulen = get16(seg + 4);
    if (ulen < UDP_HDR_LEN || ulen > len)
        return;
    if (get16(seg + 6) != 0 && ip_checksum(seg, ulen, ip_pseudo_sum(src, dst, IP_PROTO_UDP, (uint16_t)ulen)) != 0)
        return;
    if (get16(seg + 2) == DHCP_CLIENT_PORT && get16(seg) == DHCP_SERVER_PORT)
        dhcp_input(seg + UDP_HDR_LEN, ulen - UDP_HDR_LEN);
}

int udp_send(uint8_t *frame, uint16_t src_port, uint32_t dst, uint16_t dst_port, size_t len)
{
    uint8_t *u = frame + NET_L4_OFFSET;
    uint16_t ulen = (uint16_t)(UDP_HDR_LEN + len);
    put16(u, src_port);
    put16(u + 2, dst_port);
    put16(u + 4, ulen);
    put16(u + 6, 0);
    uint16_t sum = ip_checksum(u, ulen, ip_pseudo_sum(net_if.ip, dst, IP_PROTO_UDP, ulen));
    put16(u + 6, sum ? sum : 0xffff);
    return ip_send(frame, dst, IP_PROTO_UDP, ulen);
}
