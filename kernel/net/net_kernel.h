/* net_kernel.h: bringing the network up in the kernel. */
#ifndef NET_NET_KERNEL_H
#define NET_NET_KERNEL_H
#include <stdint.h>

/* At boot: the card, the timer hook, DHCP in the background. Without a
 * card, nothing (the `net` command says so). */
void net_kernel_init(void);

/* Waits (halting) until DHCP has an address; 0, or -1 after timeout_ms or
 * without a card. */
int net_kernel_wait_address(uint32_t timeout_ms);

#endif
