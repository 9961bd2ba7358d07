/* net.c: the interface record, Ethernet framing and dispatch of received
 * frames, the periodic tick that drives every protocol's timers, and dotted
 * quad addresses. */
#include "net/net.h"
#include "net/bytes.h"
#include "net/dhcp.h"
#include "net/ip.h"
#include "net/platform.h"
#include "net/tcp.h"
#include "lib/string.h"

struct net_iface net_if;

void net_start(const char *driver, const uint8_t mac[6])
{
    net_if.present = 1;
    net_if.driver = driver;
    memcpy(net_if.mac, mac, 6);
    dhcp_start();
}

int eth_send(uint8_t *frame, const uint8_t dst[6], uint16_t type, size_t len)
{
    memcpy(frame, dst, 6);
    memcpy(frame + 6, net_if.mac, 6);
    put16(frame + 12, type);
    if (net_link_send(frame, ETH_HDR_LEN + len) != 0) {
        net_if.tx_dropped++;
        return -1;
    }
    net_if.tx_frames++;
    return 0;
}

void net_input(const uint8_t *frame, size_t len)
{
    static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    if (len < ETH_HDR_LEN || (memcmp(frame, net_if.mac, 6) != 0 && memcmp(frame, broadcast, 6) != 0)) {
        net_if.rx_dropped++;
        return;
    }
    net_if.rx_frames++;
    uint16_t type = get16(frame + 12);
    if (type == ETHERTYPE_ARP)
        arp_input(frame + ETH_HDR_LEN, len - ETH_HDR_LEN);
    else if (type == ETHERTYPE_IPV4)
        ip_input(frame + ETH_HDR_LEN, len - ETH_HDR_LEN);
}

void net_tick(void)
{
    if (!net_if.present)
        return;
    arp_tick();
    dhcp_tick();
    tcp_tick();
}

int net_parse_ip(const char *s, uint32_t *ip)
{
    uint32_t v = 0;
    for (int part = 0; part < 4; part++) {
        if (*s < '0' || *s > '9')
            return -1;
        uint32_t n = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            n = n * 10 + (uint32_t)(*s++ - '0');
            digits++;
        }
        if (n > 255 || (*s != (part < 3 ? '.' : 0)))
            return -1;
        if (part < 3)
            s++;
        v = v << 8 | n;
    }
    *ip = v;
    return 0;
}

void net_format_ip(char *out, uint32_t ip)
{
    int k = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        unsigned b = ip >> shift & 0xff;
        if (b >= 100)
            out[k++] = (char)('0' + b / 100);
        if (b >= 10)
            out[k++] = (char)('0' + b / 10 % 10);
        out[k++] = (char)('0' + b % 10);
        if (shift)
            out[k++] = '.';
    }
    out[k] = 0;
}
