/* e1000.h: the Intel 8254x gigabit Ethernet family as QEMU emulates it
 * (82540EM, the default NIC of `-M pc`; 82544GC and 82545EM as well). */
#ifndef DRIVERS_E1000_H
#define DRIVERS_E1000_H
#include <stddef.h>
#include <stdint.h>

/* Finds the card on the PCI bus, resets it, sets up the rings and its
 * interrupt; received frames go to `rx` from the interrupt handler. 0, or
 * -1 when there is no such card. */
int e1000_init(uint8_t mac[6], void (*rx)(const uint8_t *frame, size_t len));
/* Queues one frame; 0, or -1 when the transmit ring is full. Interrupts
 * must be off (the caller holds the network lock). */
int e1000_send(const void *frame, size_t len);
/* 1 when the card reports link up. */
int e1000_link_up(void);

#endif
