/* panic.h: stop the machine with a white-on-red report on VGA and serial. */
#ifndef ARCH_X86_PANIC_H
#define ARCH_X86_PANIC_H

#include <stdint.h>

struct int_frame;

void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* The exception screen for a register frame; esp is the interrupted stack
 * pointer, note (may be NULL) one more line of diagnosis. */
void panic_frame(const struct int_frame *f, uint32_t esp, const char *note)
    __attribute__((noreturn));

#endif
