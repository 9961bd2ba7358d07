/* stack.h: the kernel stack (entry.asm, section .bss.stack) and the guard
 * page below it, which paging leaves unmapped so an overflow faults. */
#ifndef ARCH_X86_STACK_H
#define ARCH_X86_STACK_H

extern char boot_stack_guard[], boot_stack[], boot_stack_top[];

#endif
