/* interrupts.h: the IDT, the register frame the assembly stubs build, and IRQ
 * handler registration. Vectors 0-31 are CPU exceptions (they panic), 32-47
 * the remapped PIC IRQs 0-15 (delivered to the boot CPU only), 0xf0 and 0xff
 * the local APIC's (apic.h). */
#ifndef ARCH_X86_INTERRUPTS_H
#define ARCH_X86_INTERRUPTS_H
#include <stdint.h>

#define IRQ_BASE 32

/* Pushed by isr.asm, lowest address first. */
struct int_frame {
    uint32_t gs, fs, es, ds;
    uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax;
    uint32_t vector, error_code;
    uint32_t eip, cs, eflags; /* pushed by the CPU (ring 0: no ss/esp) */
};

typedef void (*irq_handler_t)(struct int_frame *frame);

/* Builds the boot CPU's IDT (CPU 0) and loads it. */
void idt_init(void);
/* On an AP: copies CPU 0's IDT into this CPU's and loads it. */
void idt_load_copy(uint32_t cpu);
/* Makes a vector of that CPU's IDT a task gate to the TSS with that GDT selector. */
void idt_set_task_gate(uint32_t cpu, int vector, uint16_t tss_selector);
/* Install the handler of a PIC line (0-15) and unmask it. */
void irq_install(int irq, irq_handler_t handler);

/* Called from isr.asm. */
void exception_dispatch(struct int_frame *frame) __attribute__((noreturn));
void irq_dispatch(struct int_frame *frame);

#endif
