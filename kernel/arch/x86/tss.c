/* tss.c: two task-state segments per CPU. The CPU runs in the first one (it
 * saves the interrupted state there on a task switch); vector 8 of its IDT is
 * a task gate to the second, whose task prints the panic screen from that
 * saved state. */
#include <stddef.h>
#include "arch/x86/tss.h"
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

struct cpu_tasks {
    struct tss kernel, double_fault;
    const char *stack_guard; /* below the CPU's own stack, for the overflow diagnosis */
};

static struct cpu_tasks tasks[MAX_CPUS];
static uint8_t double_fault_stacks[MAX_CPUS][16384] __attribute__((aligned(16)));

/* isr.asm: drops the error code, aligns the stack, calls double_fault_task. */
extern void double_fault_entry(void);

void double_fault_task(void)
{
    uint16_t task;
    __asm__ volatile("str %0" : "=r"(task));
    const struct cpu_tasks *c = &tasks[(task - GDT_CPU_DOUBLE_FAULT_TSS(0)) / 16];
    const struct tss *t = &c->kernel; /* the state the double fault interrupted */
    struct int_frame f = {
        .gs = t->gs, .fs = t->fs, .es = t->es, .ds = t->ds,
        .edi = t->edi, .esi = t->esi, .ebp = t->ebp, .esp_pusha = t->esp,
        .ebx = t->ebx, .edx = t->edx, .ecx = t->ecx, .eax = t->eax,
        .vector = 8, .error_code = 0, .eip = t->eip, .cs = t->cs, .eflags = t->eflags,
    };
    int overflow = t->esp >= (uint32_t)c->stack_guard - 64 && t->esp < (uint32_t)c->stack_guard + 4096 + 64;
    panic_frame(&f, t->esp, overflow ? "kernel stack overflow (ESP reached the guard page)" : NULL);
}

void tss_init(uint32_t cpu, const char *stack_guard)
{
    struct cpu_tasks *c = &tasks[cpu];
    struct tss *df = &c->double_fault;
    c->stack_guard = stack_guard;
    df->cr3 = read_cr3();
    df->eip = (uint32_t)double_fault_entry;
    df->eflags = 0x2; /* interrupts off */
    df->esp = (uint32_t)(double_fault_stacks[cpu] + sizeof(double_fault_stacks[cpu]));
    df->cs = GDT_KERNEL_CODE;
    df->ss = df->ds = df->es = df->fs = df->gs = GDT_KERNEL_DATA;
    df->iomap_base = sizeof(struct tss);
    c->kernel.iomap_base = sizeof(struct tss);

    gdt_set_tss(GDT_CPU_TSS(cpu), &c->kernel, sizeof(c->kernel) - 1);
    gdt_set_tss(GDT_CPU_DOUBLE_FAULT_TSS(cpu), df, sizeof(*df) - 1);
    __asm__ volatile("ltr %w0" : : "r"((uint16_t)GDT_CPU_TSS(cpu)));
    idt_set_task_gate(cpu, 8, GDT_CPU_DOUBLE_FAULT_TSS(cpu));
}
