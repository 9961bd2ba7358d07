/* serial.c: 16550 UART on COM1. Output is polled; received bytes are taken by
 * the IRQ 4 handler into a ring buffer so nothing is lost while the kernel is
 * busy. When the ring is nearly full (a host pasting faster than the shell
 * echoes), the receive interrupt is switched off and bytes wait in the UART,
 * which makes an emulator hold back the rest; reading the ring switches it
 * back on. */
#include <stdint.h>
#include "drivers/serial.h"
#include "drivers/input.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/io.h"

#define COM1 0x3f8
#define REG_DATA 0
#define REG_IER 1
#define REG_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20

#define IER_RX 0x01
#define RX_STOP 64                   /* free slots left when reception pauses */
#define RX_RESUME (INPUT_RING_SIZE / 2)

static struct input_ring rx;
static int present;
static volatile int rx_paused;

static void serial_irq(struct int_frame *frame)
{
    (void)frame;
    while (inb(COM1 + REG_LSR) & LSR_DATA_READY) {
        if (input_ring_free(&rx) < RX_STOP) {
            rx_paused = 1;
            outb(COM1 + REG_IER, 0);
            return;
        }
        input_ring_put(&rx, inb(COM1 + REG_DATA));
    }
}

void serial_init(void)
{
    outb(COM1 + REG_IER, 0x00);
    outb(COM1 + REG_LCR, 0x80);   /* DLAB: the next two ports are the divisor */
    outb(COM1 + REG_DATA, 1);     /* divisor low byte: 115200 / 1 */
    outb(COM1 + REG_IER, 0);      /* divisor high byte */
    outb(COM1 + REG_LCR, 0x03);   /* 8 data bits, no parity, 1 stop bit */
    outb(COM1 + REG_FCR, 0xc7);   /* FIFOs on and cleared, 14-byte threshold */
    outb(COM1 + REG_MCR, 0x1e);   /* loopback self-test */
    outb(COM1 + REG_DATA, 0xae);
    present = inb(COM1 + REG_DATA) == 0xae;
    outb(COM1 + REG_MCR, 0x0b);   /* DTR, RTS, OUT2 (IRQ line enable) */
    if (!present)
        return;
    irq_install(4, serial_irq);
    outb(COM1 + REG_IER, IER_RX); /* interrupt on received data */
}

static void put(char ch)
{
    /* Bounded wait: a UART that never drains must not hang the kernel. */
    for (int spins = 0; !(inb(COM1 + REG_LSR) & LSR_THR_EMPTY) && spins < 100000; spins++)
        ;
    outb(COM1 + REG_DATA, (uint8_t)ch);
}

void serial_write(const char *s, size_t n)
{
    if (!present)
        return;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            put('\r');
        put(s[i]);
    }
}

int serial_read(void)
{
    int c = input_ring_get(&rx);
    if (rx_paused && input_ring_free(&rx) >= RX_RESUME) {
        rx_paused = 0;
        outb(COM1 + REG_IER, IER_RX); /* bytes already waiting raise the IRQ at once */
    }
    return c;
}

void serial_flush_input(void)
{
    input_ring_flush(&rx);
}

int serial_cancel_pending(void)
{
    return rx.cancel;
}
