/* gdt.h: the kernel's flat segments and, for every CPU, two task-state
 * segments (the running kernel's, and the one its double-fault handler
 * switches to). All CPUs share the one GDT. */
#ifndef ARCH_X86_GDT_H
#define ARCH_X86_GDT_H
#include <stdint.h>
#include "arch/x86/acpi.h"

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_CPU_TSS(cpu) (0x18 + 16 * (cpu))
#define GDT_CPU_DOUBLE_FAULT_TSS(cpu) (0x20 + 16 * (cpu))

/* Loads the GDT on this CPU and reloads every segment register. */
void gdt_load(void);
/* Fills a TSS descriptor (selector GDT_*_TSS). */
void gdt_set_tss(uint16_t selector, const void *base, uint32_t limit);

#endif
