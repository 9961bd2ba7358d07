/* gdt.h: the kernel's flat segments and the two task-state segments (the
 * running kernel's, and the one the double-fault handler switches to). */
#ifndef ARCH_X86_GDT_H
#define ARCH_X86_GDT_H
#include <stdint.h>

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_KERNEL_TSS 0x18
#define GDT_DOUBLE_FAULT_TSS 0x20

void gdt_init(void);
/* Fills a TSS descriptor (selector GDT_*_TSS). */
void gdt_set_tss(uint16_t selector, const void *base, uint32_t limit);

#endif
