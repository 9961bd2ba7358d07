/* panic.h: stop the machine with a white-on-red report on VGA and serial. */
#ifndef ARCH_X86_PANIC_H
#define ARCH_X86_PANIC_H

void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
