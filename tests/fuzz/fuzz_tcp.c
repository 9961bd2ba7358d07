/* fuzz_tcp.c: libFuzzer target for the network stack's input path and TCP
 * (kernel/net/): the input is a script of steps, each one byte of kind and
 * two of length:
 *   0  a TCP segment from 10.0.2.2 to our port 8080; its checksum is made
 *      right, and its sequence and acknowledgement numbers are taken
 *      relative to what the stack expects, so the fuzzer reaches the
 *      states past the handshake;
 *   1  a raw Ethernet frame (ARP, IPv4, ICMP, UDP/DHCP, anything);
 *   2  time passes (the first byte x 50 ms), with the stack's ticks;
 *   3  the application: accept, read, write, close or abort.
 * Whatever the script did, once the application lets go of its connections
 * and ten minutes pass, the stack must hold no connection at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/bytes.h"
#include "net/ip.h"
#include "net/net.h"
#include "net/tcp.h"
#include "net_host.h"

#define PEER 0x0a000202u
#define PORT 8080
#define APP_CONNS 8

static tcp_conn *app[APP_CONNS];

/* Time passes in steps of `step` ms (the stack's timers only compare
 * deadlines, so coarse steps are fine for long waits). */
static void advance(uint64_t ms, uint64_t step)
{
    for (uint64_t t = 0; t < ms; t += step) {
        net_host_clock_ms += step;
        net_tick();
    }
}

/* The sequence numbers the stack's last TCP segment carried. */
static void last_sent(uint32_t *seq, uint32_t *ack)
{
    *seq = *ack = 0;
    const uint8_t *f = net_host_last_frame;
    if (net_host_last_len >= NET_L4_OFFSET + 20 && get16(f + 12) == ETHERTYPE_IPV4 && f[ETH_HDR_LEN + 9] == IP_PROTO_TCP) {
        *seq = get32(f + NET_L4_OFFSET + 4);
        *ack = get32(f + NET_L4_OFFSET + 8);
    }
}

static void segment(const uint8_t *p, size_t n)
{
    uint8_t seg[1480];
    if (n < 20 || n > sizeof seg)
        return;
    memcpy(seg, p, n);
    put16(seg + 2, PORT);
    uint32_t their_seq, their_ack;
    last_sent(&their_seq, &their_ack);
    put32(seg + 4, get32(seg + 4) + their_ack);      /* 0 = exactly what the stack expects */
    put32(seg + 8, get32(seg + 8) + their_seq + 1);  /* 0 = acknowledges its last segment */
    put16(seg + 16, 0);
    put16(seg + 16, ip_checksum(seg, n, ip_pseudo_sum(PEER, net_if.ip, IP_PROTO_TCP, (uint16_t)n)));
    tcp_input(PEER, net_if.ip, seg, n);
}

static void application(const uint8_t *p, size_t n)
{
    if (n < 2)
        return;
    int slot = p[1] % APP_CONNS;
    uint8_t buf[4096];
    switch (p[0] % 5) {
    case 0:
        if (!app[slot])
            app[slot] = tcp_accept();
        break;
    case 1:
        if (app[slot])
            tcp_read(app[slot], buf, n > 2 ? (size_t)p[2] * 16 : sizeof buf);
        break;
    case 2:
        if (app[slot]) {
            memset(buf, 'x', sizeof buf);
            tcp_write(app[slot], buf, n > 2 ? (size_t)p[2] * 16 : sizeof buf);
            tcp_status(app[slot]);
            tcp_unacked(app[slot]);
        }
        break;
    case 3:
    case 4:
        if (app[slot]) {
            (p[0] % 5 == 3 ? tcp_close : tcp_abort)(app[slot]);
            app[slot] = NULL;
        }
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    net_host_configure();
    net_host_clock_ms += 3600 * 1000; /* whatever the last run left behind has expired */
    advance(NET_TICK_MS, NET_TICK_MS);
    tcp_listen(PORT);
    /* The peer announces itself, as QEMU's gateway does. */
    uint8_t arp[ETH_HDR_LEN + 28] = { 0 };
    memcpy(arp, net_if.mac, 6);
    put16(arp + 12, ETHERTYPE_ARP);
    uint8_t *a = arp + ETH_HDR_LEN;
    put16(a, 1), put16(a + 2, ETHERTYPE_IPV4), a[4] = 6, a[5] = 4, put16(a + 6, 1);
    memset(a + 8, 0x52, 6), put32(a + 14, PEER), put32(a + 24, net_if.ip);
    net_input(arp, sizeof arp);

    for (size_t i = 0; i + 3 <= size;) {
        uint8_t kind = data[i];
        size_t n = get16(data + i + 1);
        i += 3;
        if (n > size - i)
            n = size - i;
        const uint8_t *p = data + i;
        i += n;
        switch (kind % 4) {
        case 0: segment(p, n); break;
        case 1: net_input(p, n); break;
        case 2: advance(n ? (uint64_t)p[0] * 50 : 50, NET_TICK_MS); break;
        case 3: application(p, n); break;
        }
    }
    for (int s = 0; s < APP_CONNS; s++)
        if (app[s]) {
            tcp_close(app[s]);
            app[s] = NULL;
        }
    tcp_unlisten();
    advance(10 * 60 * 1000, 500);
    if (tcp_count() != 0) {
        fprintf(stderr, "%d connections left behind\n", tcp_count());
        abort();
    }
    return 0;
}
