/* tss.c: the two task-state segments. The kernel runs in the first one (the
 * CPU saves the interrupted state there on a task switch); vector 8 is a task
 * gate to the second, whose task prints the panic screen from that saved
 * state. */
#include <stddef.h>
#include "arch/x86/tss.h"
#include "arch/x86/stack.h"
#include "arch/x86/gdt.h"
#include "arch/x86/interrupts.h"
#include "arch/x86/io.h"
#include "arch/x86/panic.h"

struct tss {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3;
    uint32_t eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap_base;
} __attribute__((packed));

static struct tss kernel_tss, double_fault_tss;
static uint8_t double_fault_stack[16384] __attribute__((aligned(16)));

/* isr.asm: drops the error code, aligns the stack, calls double_fault_task. */
extern void double_fault_entry(void);

void double_fault_task(void)
{
    const struct tss *t = &kernel_tss; /* the state the double fault interrupted */
    struct int_frame f = {
        .gs = t->gs, .fs = t->fs, .es = t->es, .ds = t->ds,
        .edi = t->edi, .esi = t->esi, .ebp = t->ebp, .esp_pusha = t->esp,
        .ebx = t->ebx, .edx = t->edx, .ecx = t->ecx, .eax = t->eax,
        .vector = 8, .error_code = 0, .eip = t->eip, .cs = t->cs, .eflags = t->eflags,
    };
    int overflow = t->esp >= (uint32_t)boot_stack_guard - 64 && t->esp < (uint32_t)boot_stack + 64;
    panic_frame(&f, t->esp, overflow ? "kernel stack overflow (ESP reached the guard page)" : NULL);
}

void tss_init(void)
{
    double_fault_tss.cr3 = read_cr3();
    double_fault_tss.eip = (uint32_t)double_fault_entry;
    double_fault_tss.eflags = 0x2; /* interrupts off */
    double_fault_tss.esp = (uint32_t)(double_fault_stack + sizeof(double_fault_stack));
    double_fault_tss.cs = GDT_KERNEL_CODE;
    double_fault_tss.ss = double_fault_tss.ds = double_fault_tss.es = GDT_KERNEL_DATA;
    double_fault_tss.fs = double_fault_tss.gs = GDT_KERNEL_DATA;
    double_fault_tss.iomap_base = sizeof(struct tss);
    kernel_tss.iomap_base = sizeof(struct tss);

    gdt_set_tss(GDT_KERNEL_TSS, &kernel_tss, sizeof(kernel_tss) - 1);
    gdt_set_tss(GDT_DOUBLE_FAULT_TSS, &double_fault_tss, sizeof(double_fault_tss) - 1);
    __asm__ volatile("ltr %w0" : : "r"(GDT_KERNEL_TSS));
    idt_set_task_gate(8, GDT_DOUBLE_FAULT_TSS);
}
