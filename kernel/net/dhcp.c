/* dhcp.c: the DHCP client. Every message is broadcast (the address is not
 * ours until the server acknowledges it, and QEMU's server answers
 * broadcasts the same way); replies must carry our transaction id and MAC. */
#include "net/dhcp.h"
#include "net/bytes.h"
#include "net/net.h"
#include "net/platform.h"
#include "net/udp.h"
#include "lib/string.h"

#define DHCP_FIXED_LEN 236
#define DHCP_MAGIC 0x63825363u
#define DHCP_RETRY_MS 2000
#define DHCP_REQUEST_TRIES 4
#define DHCP_MIN_LEASE_S 60

enum { DISCOVER = 1, OFFER = 2, REQUEST = 3, ACK = 5, NAK = 6 };
enum state { S_IDLE, S_DISCOVERING, S_REQUESTING, S_BOUND, S_RENEWING };

static struct {
    enum state state;
    uint32_t xid;
    uint32_t offered, server;
    uint64_t next_send; /* when the current message goes out again */
    int tries;
} d;

const char *dhcp_state_name(void)
{
    static const char *const names[] = { "off", "discovering", "requesting", "bound", "renewing" };
    return names[d.state];
}

static void send_message(int type)
{
    uint8_t frame[NET_FRAME_MAX];
    uint8_t *m = frame + NET_L4_OFFSET + UDP_HDR_LEN;
    memset(m, 0, DHCP_FIXED_LEN);
    m[0] = 1; /* BOOTREQUEST */
    m[1] = 1;
    m[2] = 6;
    put32(m + 4, d.xid);
    put16(m + 10, 0x8000); /* broadcast replies */
    if (d.state == S_RENEWING)
        put32(m + 12, net_if.ip);
    memcpy(m + 28, net_if.mac, 6);
    put32(m + DHCP_FIXED_LEN, DHCP_MAGIC);
    uint8_t *o = m + DHCP_FIXED_LEN + 4;
    *o++ = 53, *o++ = 1, *o++ = (uint8_t)type;
    *o++ = 61, *o++ = 7, *o++ = 1; /* client id: the MAC */
    memcpy(o, net_if.mac, 6), o += 6;
    if (type == REQUEST && d.state == S_REQUESTING) {
        *o++ = 50, *o++ = 4, put32(o, d.offered), o += 4;
        *o++ = 54, *o++ = 4, put32(o, d.server), o += 4;
    }
    *o++ = 12, *o++ = 4, memcpy(o, "myos", 4), o += 4;
    *o++ = 55, *o++ = 4, *o++ = 1, *o++ = 3, *o++ = 6, *o++ = 51;
    *o++ = 255;
    size_t len = (size_t)(o - m);
    while (len < 300) /* BOOTP's minimum message size */
        m[len++] = 0;
    udp_send(frame, DHCP_CLIENT_PORT, 0xffffffffu, DHCP_SERVER_PORT, len);
    d.next_send = net_now_ms() + DHCP_RETRY_MS;
}

static void begin(enum state s)
{
    d.state = s;
    d.tries = 0;
    d.xid = net_random();
    send_message(s == S_DISCOVERING ? DISCOVER : REQUEST);
}

void dhcp_start(void)
{
    net_if.ip = net_if.mask = net_if.gateway = net_if.dns = 0;
    begin(S_DISCOVERING);
}

struct lease {
    int type;
    uint32_t mask, router, dns, server, lease_s;
};

/* Options after the magic cookie; -1 when they run past the message. */
static int parse_options(const uint8_t *o, size_t len, struct lease *l)
{
    size_t i = 0;
    while (i < len && o[i] != 255) {
        if (o[i] == 0) {
            i++;
            continue;
        }
        if (i + 2 > len || i + 2 + o[i + 1] > len)
            return -1;
        const uint8_t *v = o + i + 2;
        uint8_t n = o[i + 1];
        switch (o[i]) {
        case 53: if (n >= 1) l->type = v[0]; break;
        case 1: if (n >= 4) l->mask = get32(v); break;
        case 3: if (n >= 4) l->router = get32(v); break;
        case 6: if (n >= 4) l->dns = get32(v); break;
        case 51: if (n >= 4) l->lease_s = get32(v); break;
        case 54: if (n >= 4) l->server = get32(v); break;
        }
        i += 2u + n;
    }
    return 0;
}

void dhcp_input(const uint8_t *m, size_t len)
{
    if (len < DHCP_FIXED_LEN + 4 || m[0] != 2 || get32(m + 4) != d.xid || memcmp(m + 28, net_if.mac, 6) != 0 ||
        get32(m + DHCP_FIXED_LEN) != DHCP_MAGIC)
        return;
    struct lease l = { 0 };
    if (parse_options(m + DHCP_FIXED_LEN + 4, len - DHCP_FIXED_LEN - 4, &l) != 0)
        return;
    uint32_t yiaddr = get32(m + 16);
    if (l.type == OFFER && d.state == S_DISCOVERING && yiaddr != 0 && l.server != 0) {
        d.offered = yiaddr;
        d.server = l.server;
        begin(S_REQUESTING);
    } else if (l.type == ACK && (d.state == S_REQUESTING || d.state == S_RENEWING) && yiaddr != 0) {
        net_if.ip = yiaddr;
        net_if.mask = l.mask ? l.mask : 0xffffff00u;
        net_if.gateway = l.router;
        net_if.dns = l.dns;
        net_if.dhcp_server = l.server ? l.server : d.server;
        net_if.lease_s = l.lease_s < DHCP_MIN_LEASE_S ? DHCP_MIN_LEASE_S : l.lease_s;
        net_if.lease_ms = net_now_ms();
        d.state = S_BOUND;
        /* Ask for the server's (and gateway's) MAC now, before the first
         * reply to it has to wait for ARP. */
        uint8_t mac[6];
        arp_resolve(net_if.gateway ? net_if.gateway : net_if.dhcp_server, mac);
    } else if (l.type == NAK && (d.state == S_REQUESTING || d.state == S_RENEWING)) {
        dhcp_start();
    }
}

void dhcp_tick(void)
{
    uint64_t now = net_now_ms();
    if (d.state == S_BOUND || d.state == S_RENEWING) {
        uint64_t age = now - net_if.lease_ms, lease = (uint64_t)net_if.lease_s * 1000;
        if (age >= lease) {
            dhcp_start();
        } else if (d.state == S_BOUND && age >= lease / 2) {
            begin(S_RENEWING);
        } else if (d.state == S_RENEWING && now >= d.next_send) {
            send_message(REQUEST);
        }
        return;
    }
    if (d.state == S_IDLE || now < d.next_send)
        return;
    if (d.state == S_REQUESTING && ++d.tries >= DHCP_REQUEST_TRIES) {
        begin(S_DISCOVERING);
        return;
    }
    send_message(d.state == S_DISCOVERING ? DISCOVER : REQUEST);
}
