/* console.h: the kernel console, VGA text screen and COM1 together. Output
 * goes to both; input comes from the PS/2 keyboard and the serial line,
 * merged, as key codes (drivers/keys.h). */
#ifndef DRIVERS_CONSOLE_H
#define DRIVERS_CONSOLE_H
#include <stddef.h>
#include "drivers/keys.h"

void console_init(void);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_write(const char *s, size_t n);
void console_clear(void);
/* Blocks until a key arrives (halting between interrupts). */
int console_getc(void);
/* Non-blocking: 1 if Ctrl+C was pressed since the last call; pending input is
 * then discarded, the user asked to stop. */
int console_poll_cancel(void);

#endif
