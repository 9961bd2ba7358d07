/* idt.c: builds the IDT (exceptions 0-31, PIC IRQs 32-47; every other vector
 * is absent, so a stray `int n` raises #GP and panics) and dispatches IRQs to
 * registered handlers. */
#include <stdint.h>
#include "arch/x86/interrupts.h"
#include "arch/x86/gdt.h"
#include "arch/x86/pic.h"

extern const uint32_t isr_stub_table[48];

struct idt_entry {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t zero;
    uint8_t type_attr;
    uint16_t offset_hi;
} __attribute__((packed));

static struct idt_entry idt[256] __attribute__((aligned(8)));
static irq_handler_t irq_handlers[16];

void idt_init(void)
{
    for (int v = 0; v < 48; v++) {
        uint32_t addr = isr_stub_table[v];
        idt[v].offset_lo = addr & 0xffff;
        idt[v].offset_hi = addr >> 16;
        idt[v].selector = GDT_KERNEL_CODE;
        idt[v].zero = 0;
        idt[v].type_attr = 0x8e; /* present, ring 0, 32-bit interrupt gate */
    }
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint32_t)idt };
    __asm__ volatile("lidt %0" : : "m"(ptr));
}

void idt_set_task_gate(int vector, uint16_t tss_selector)
{
    idt[vector].offset_lo = 0;
    idt[vector].offset_hi = 0;
    idt[vector].selector = tss_selector;
    idt[vector].zero = 0;
    idt[vector].type_attr = 0x85; /* present, ring 0, task gate */
}

void irq_install(int irq, irq_handler_t handler)
{
    irq_handlers[irq] = handler;
    pic_unmask(irq);
}

void irq_dispatch(struct int_frame *frame)
{
    int irq = (int)frame->vector - IRQ_BASE;
    /* IRQ 7 and 15 fire spuriously when a request vanishes; no EOI then
     * (for 15 the master still saw a real IRQ 2). */
    if ((irq == 7 || irq == 15) && !pic_in_service(irq)) {
        if (irq == 15)
            pic_eoi(0);
        return;
    }
    if (irq_handlers[irq])
        irq_handlers[irq](frame);
    pic_eoi(irq);
}
