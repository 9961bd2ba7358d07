/* arp.c: ARP (RFC 826) for IPv4 over Ethernet: answers requests for our
 * address, learns the senders that talk to us, and resolves next hops with
 * a small cache; an unresolved address gets a request at most every 500 ms
 * (the packet that needed it is dropped and sent again by its protocol). */
#include "net/net.h"
#include "net/bytes.h"
#include "net/platform.h"
#include "lib/string.h"

#define ARP_ENTRIES 16
#define ARP_TTL_MS (10 * 60 * 1000)
#define ARP_RETRY_MS 500
#define ARP_LEN 28

struct arp_entry {
    uint32_t ip;
    uint8_t mac[6];
    int resolved;
    uint64_t stamp; /* resolved: when learnt; else: when last asked */
};

static struct arp_entry cache[ARP_ENTRIES];

static struct arp_entry *find(uint32_t ip)
{
    for (int i = 0; i < ARP_ENTRIES; i++)
        if (cache[i].ip == ip && ip != 0)
            return &cache[i];
    return NULL;
}

/* The entry for ip, taking the oldest slot when it is new. */
static struct arp_entry *slot(uint32_t ip)
{
    struct arp_entry *e = find(ip);
    if (e)
        return e;
    e = &cache[0];
    for (int i = 0; i < ARP_ENTRIES; i++) {
        if (cache[i].ip == 0)
            return &cache[i];
        if (cache[i].stamp < e->stamp)
            e = &cache[i];
    }
    return e;
}

static void learn(uint32_t ip, const uint8_t mac[6])
{
    struct arp_entry *e = slot(ip);
    e->ip = ip;
    memcpy(e->mac, mac, 6);
    e->resolved = 1;
    e->stamp = net_now_ms();
}

static void send_arp(uint16_t op, const uint8_t dst_mac[6], const uint8_t target_mac[6], uint32_t target_ip)
{
    uint8_t frame[ETH_HDR_LEN + ARP_LEN + 18]; /* padded to Ethernet's minimum */
    uint8_t *p = frame + ETH_HDR_LEN;
    memset(p, 0, sizeof frame - ETH_HDR_LEN);
    put16(p, 1);               /* hardware: Ethernet */
    put16(p + 2, ETHERTYPE_IPV4);
    p[4] = 6;
    p[5] = 4;
    put16(p + 6, op);
    memcpy(p + 8, net_if.mac, 6);
    put32(p + 14, net_if.ip);
    memcpy(p + 18, target_mac, 6);
    put32(p + 24, target_ip);
    eth_send(frame, dst_mac, ETHERTYPE_ARP, sizeof frame - ETH_HDR_LEN);
}

void arp_input(const uint8_t *p, size_t len)
{
    if (len < ARP_LEN || get16(p) != 1 || get16(p + 2) != ETHERTYPE_IPV4 || p[4] != 6 || p[5] != 4)
        return;
    uint16_t op = get16(p + 6);
    uint32_t sender = get32(p + 14), target = get32(p + 24);
    if (net_if.ip == 0 || target != net_if.ip)
        return;
    if (sender != 0)
        learn(sender, p + 8);
    if (op == 1)
        send_arp(2, p + 8, p + 8, sender);
}

int arp_resolve(uint32_t ip, uint8_t mac[6])
{
    static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, zero[6] = { 0 };
    struct arp_entry *e = find(ip);
    uint64_t now = net_now_ms();
    if (e && e->resolved) {
        memcpy(mac, e->mac, 6);
        return 1;
    }
    if (!e || now - e->stamp >= ARP_RETRY_MS) {
        e = slot(ip);
        e->ip = ip;
        e->resolved = 0;
        e->stamp = now;
        send_arp(1, broadcast, zero, ip);
    }
    return 0;
}

void arp_tick(void)
{
    uint64_t now = net_now_ms();
    for (int i = 0; i < ARP_ENTRIES; i++)
        if (cache[i].resolved && now - cache[i].stamp > ARP_TTL_MS)
            memset(&cache[i], 0, sizeof cache[i]);
}
