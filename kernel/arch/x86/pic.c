/* pic.c: 8259A setup. Both PICs start fully masked; irq_install unmasks the
 * lines that have a handler. */
#include "arch/x86/pic.h"
#include "arch/x86/io.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIC_EOI 0x20
#define PIC_READ_ISR 0x0b

void pic_init(void)
{
    outb(PIC1_CMD, 0x11); io_wait(); /* ICW1: init, expect ICW4 */
    outb(PIC2_CMD, 0x11); io_wait();
    outb(PIC1_DATA, 32); io_wait();  /* ICW2: vector offsets */
    outb(PIC2_DATA, 40); io_wait();
    outb(PIC1_DATA, 4); io_wait();   /* ICW3: slave on IRQ2 */
    outb(PIC2_DATA, 2); io_wait();
    outb(PIC1_DATA, 1); io_wait();   /* ICW4: 8086 mode */
    outb(PIC2_DATA, 1); io_wait();
    outb(PIC1_DATA, 0xff & ~(1 << 2)); /* all masked but the cascade */
    outb(PIC2_DATA, 0xff);
}

void pic_unmask(int irq)
{
    uint16_t port = irq < 8 ? PIC1_DATA : PIC2_DATA;
    outb(port, inb(port) & ~(1 << (irq & 7)));
}

void pic_eoi(int irq)
{
    if (irq >= 8)
        outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
}

int pic_in_service(int irq)
{
    uint16_t port = irq < 8 ? PIC1_CMD : PIC2_CMD;
    outb(port, PIC_READ_ISR);
    return (inb(port) >> (irq & 7)) & 1;
}
