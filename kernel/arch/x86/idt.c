/* idt.c: builds the IDT (exceptions 0-31, PIC IRQs 32-47, the local APIC's
 * wake-up and spurious vectors; every other vector is absent, so a stray
 * `int n` raises #GP and panics) and dispatches IRQs to registered handlers.
 * Each CPU loads its own copy, which differs only in the double-fault task
 * gate (every CPU has its own double-fault task). */
#include <stdint.h>
#include "arch/x86/interrupts.h"
#include "arch/x86/gdt.h"
#include "arch/x86/apic.h"
#include "arch/x86/pic.h"

extern const uint32_t isr_stub_table[48];
extern void apic_wake_stub(void), apic_spurious_stub(void); /* isr.asm */

struct idt_entry {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t zero;
    uint8_t type_attr;
    uint16_t offset_hi;
} __attribute__((packed));

static struct idt_entry idts[MAX_CPUS][256] __attribute__((aligned(8)));
static irq_handler_t irq_handlers[16];

static void set_gate(struct idt_entry *e, uint32_t addr)
{
    e->offset_lo = addr & 0xffff;
    e->offset_hi = addr >> 16;
    e->selector = GDT_KERNEL_CODE;
    e->zero = 0;
    e->type_attr = 0x8e; /* present, ring 0, 32-bit interrupt gate */
}

static void load(uint32_t cpu)
{
    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) ptr = { sizeof(idts[cpu]) - 1, (uint32_t)idts[cpu] };
    __asm__ volatile("lidt %0" : : "m"(ptr));
}

void idt_init(void)
{
    for (int v = 0; v < 48; v++)
        set_gate(&idts[0][v], isr_stub_table[v]);
    set_gate(&idts[0][APIC_WAKE_VECTOR], (uint32_t)apic_wake_stub);
    set_gate(&idts[0][APIC_SPURIOUS_VECTOR], (uint32_t)apic_spurious_stub);
    load(0);
}

void idt_load_copy(uint32_t cpu)
{
    for (int v = 0; v < 256; v++)
        idts[cpu][v] = idts[0][v];
    load(cpu);
}

void idt_set_task_gate(uint32_t cpu, int vector, uint16_t tss_selector)
{
    struct idt_entry *e = &idts[cpu][vector];
    e->offset_lo = 0;
    e->offset_hi = 0;
    e->selector = tss_selector;
    e->zero = 0;
    e->type_attr = 0x85; /* present, ring 0, task gate */
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
