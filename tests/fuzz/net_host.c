/* net_host.c: the host side of kernel/net/platform.h (see net_host.h). */
#include "net_host.h"
#include "net/net.h"
#include "net/platform.h"

#include <string.h>

uint64_t net_host_clock_ms;
uint8_t net_host_last_frame[1514];
size_t net_host_last_len;
unsigned long net_host_frames_sent;
static uint32_t random_state = 12345;

uint64_t net_now_ms(void)
{
    return net_host_clock_ms;
}

int net_link_send(const void *frame, size_t len)
{
    if (len > sizeof net_host_last_frame)
        return -1;
    memcpy(net_host_last_frame, frame, len);
    net_host_last_len = len;
    net_host_frames_sent++;
    return 0;
}

uint32_t net_lock(void)
{
    return 0;
}

void net_unlock(uint32_t saved)
{
    (void)saved;
}

uint32_t net_random(void)
{
    random_state = random_state * 1103515245u + 12345u;
    return random_state;
}

void net_host_configure(void)
{
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    memset(&net_if, 0, sizeof net_if);
    net_if.present = 1;
    net_if.link = 1;
    net_if.driver = "host";
    memcpy(net_if.mac, mac, 6);
    net_if.ip = 0x0a00020f;
    net_if.mask = 0xffffff00;
    net_if.gateway = 0x0a000202;
}
