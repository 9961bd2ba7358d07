/* tss.h: a double fault runs as its own hardware task, on its own stack, so
 * even a kernel stack overflow (a fault that cannot push its frame) ends in a
 * readable panic screen instead of a triple fault and a reset. */
#ifndef ARCH_X86_TSS_H
#define ARCH_X86_TSS_H

/* After paging_init (the double-fault task needs CR3) and idt_init. */
void tss_init(void);

#endif
