/* net_kernel.c: the network stack in the kernel: its platform functions
 * (net/platform.h) on the e1000 driver, the TSC clock and cli/sti, and its
 * start at boot: find the card, hook the PIT tick for the protocol timers,
 * begin DHCP (which completes in the background). */
#include "net/net_kernel.h"
#include "net/net.h"
#include "net/platform.h"
#include "arch/x86/io.h"
#include "arch/x86/timer.h"
#include "drivers/e1000.h"

static uint32_t ticks_since;
static uint64_t random_state;

uint64_t net_now_ms(void)
{
    return uptime_ms();
}

int net_link_send(const void *frame, size_t len)
{
    return e1000_send(frame, len);
}

uint32_t net_lock(void)
{
    return cpu_save_flags_cli();
}

void net_unlock(uint32_t saved)
{
    cpu_restore_flags(saved);
}

/* xorshift64*, stirred with the TSC on every call. */
uint32_t net_random(void)
{
    random_state ^= rdtsc();
    random_state ^= random_state >> 12;
    random_state ^= random_state << 25;
    random_state ^= random_state >> 27;
    return (uint32_t)((random_state * 2685821657736338717ull) >> 32);
}

static void tick(void)
{
    if (++ticks_since < NET_TICK_MS)
        return;
    ticks_since = 0;
    net_if.link = e1000_link_up();
    net_tick();
}

void net_kernel_init(void)
{
    uint8_t mac[6];
    random_state = rdtsc() | 1;
    if (e1000_init(mac, net_input) != 0)
        return;
    uint32_t f = net_lock();
    net_if.link = e1000_link_up();
    net_start("e1000", mac);
    timer_set_tick_hook(tick);
    net_unlock(f);
}

int net_kernel_wait_address(uint32_t timeout_ms)
{
    uint64_t end = uptime_ms() + timeout_ms;
    while (net_if.present && net_if.ip == 0 && uptime_ms() < end)
        cpu_sti_hlt();
    return net_if.ip ? 0 : -1;
}
