/* tss.h: a double fault runs as its own hardware task, on its own stack, so
 * even a kernel stack overflow (a fault that cannot push its frame) ends in a
 * readable panic screen instead of a triple fault and a reset. Every CPU has
 * its own pair of tasks. */
#ifndef ARCH_X86_TSS_H
#define ARCH_X86_TSS_H
#include <stdint.h>

/* Sets up and loads that CPU's tasks; stack_guard is the unmapped page below
 * its stack (the double-fault screen says "stack overflow" when ESP is
 * there). After paging_init (the double-fault task needs CR3) and after the
 * CPU loaded its IDT. */
void tss_init(uint32_t cpu, const char *stack_guard);

#endif
