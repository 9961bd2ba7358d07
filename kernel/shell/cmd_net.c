/* cmd_net.c: `net` (the interface: card, MAC, link, DHCP lease, counters)
 * and `ping HOST` (four ICMP echo requests, a second apart). */
#include "shell/command.h"
#include "net/dhcp.h"
#include "net/ip.h"
#include "net/net.h"
#include "net/net_kernel.h"
#include "net/platform.h"
#include "net/tcp.h"
#include "arch/x86/io.h"
#include "arch/x86/timer.h"
#include "drivers/console.h"
#include "lib/string.h"

#define PING_COUNT 4
#define PING_WAIT_MS 1000
#define PING_DATA 56
#define DHCP_WAIT_MS 5000

static int cmd_net(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        kprintf("error: net takes no arguments\n");
        return -1;
    }
    if (!net_if.present) {
        kprintf("error: no network card (MyOS drives the Intel e1000: QEMU's default, -nic model=e1000)\n");
        return -1;
    }
    char ip[16], mask[16], gw[16], dns[16], server[16];
    uint32_t f = net_lock();
    struct net_iface n = net_if;
    const char *state = dhcp_state_name();
    net_unlock(f);
    net_format_ip(ip, n.ip);
    net_format_ip(mask, n.mask);
    if (n.gateway)
        net_format_ip(gw, n.gateway);
    else
        memcpy(gw, "none", 5); /* QEMU's restricted network offers no router */
    if (n.dns)
        net_format_ip(dns, n.dns);
    else
        memcpy(dns, "none", 5);
    net_format_ip(server, n.dhcp_server);
    kprintf("interface eth0: %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s\n", n.driver, n.mac[0], n.mac[1],
            n.mac[2], n.mac[3], n.mac[4], n.mac[5], n.link ? "up" : "down");
    if (n.ip) {
        uint64_t age_s = (uptime_ms() - n.lease_ms) / 1000;
        kprintf("ip %s netmask %s gateway %s dns %s\n", ip, mask, gw, dns);
        kprintf("dhcp %s: lease from %s, %lu s, %lu s left\n", state, server, (unsigned long)n.lease_s,
                (unsigned long)(n.lease_s > age_s ? n.lease_s - age_s : 0));
    } else {
        kprintf("ip none yet (dhcp %s)\n", state);
    }
    kprintf("frames received %lu (dropped %lu), sent %lu (dropped %lu); tcp connections %d\n",
            (unsigned long)n.rx_frames, (unsigned long)n.rx_dropped, (unsigned long)n.tx_frames,
            (unsigned long)n.tx_dropped, tcp_count());
    return 0;
}
SHELL_COMMAND(net, "net: the network interface, address and DHCP lease", cmd_net);

static int cmd_ping(int argc, char **argv)
{
    uint32_t dst;
    if (argc != 2 || net_parse_ip(argv[1], &dst) != 0) {
        kprintf("error: usage: ping A.B.C.D (e.g. ping 10.0.2.2, the gateway)\n");
        return -1;
    }
    if (!net_if.present || net_kernel_wait_address(DHCP_WAIT_MS) != 0) {
        kprintf("error: the network is not up (see 'net')\n");
        return -1;
    }
    uint16_t id = (uint16_t)net_random();
    int received = 0, cancelled = 0;
    for (int seq = 1; seq <= PING_COUNT && !cancelled; seq++) {
        uint64_t start = timer_ns(), last_try = 0;
        int sent = 0, got = 0;
        while (timer_ns() - start < PING_WAIT_MS * 1000000ull) {
            if (console_poll_cancel()) {
                kprintf("^C\n");
                cancelled = 1;
                break;
            }
            uint32_t f = net_lock();
            /* Until ARP has the next hop, the request is dropped: try again. */
            if (!sent && timer_ns() - last_try >= 100000000ull) {
                last_try = timer_ns();
                sent = icmp_echo_send(dst, id, (uint16_t)seq, PING_DATA) == 0;
                if (sent)
                    start = timer_ns();
            }
            uint64_t when;
            got = sent && icmp_echo_last(id, &when) == seq;
            net_unlock(f);
            if (got)
                break;
            cpu_sti_hlt();
        }
        if (got) {
            uint64_t us = (timer_ns() - start) / 1000;
            kprintf("%d bytes from %s: icmp_seq=%d time=%lu.%03lu ms\n", PING_DATA + 8, argv[1], seq,
                    (unsigned long)(us / 1000), (unsigned long)(us % 1000));
            received++;
        } else if (!cancelled) {
            kprintf("no reply from %s: icmp_seq=%d\n", argv[1], seq);
        }
        while (got && timer_ns() - start < PING_WAIT_MS * 1000000ull)
            cpu_sti_hlt();
    }
    kprintf("%s: %d replies\n", argv[1], received);
    if (!received) {
        kprintf("error: no reply from %s\n", argv[1]);
        return -1;
    }
    return 0;
}
SHELL_COMMAND(ping, "ping A.B.C.D: ICMP echo, four times", cmd_ping);
