/* console.h: the kernel console, VGA text screen and COM1 together. Output
 * goes to both; input comes from the PS/2 keyboard and the serial line,
 * merged, as key codes (drivers/keys.h). */
#ifndef DRIVERS_CONSOLE_H
#define DRIVERS_CONSOLE_H
#include <stddef.h>
#include "drivers/keys.h"

/* How the text written next is shown: on VGA by its colour, on the serial
 * line by ANSI SGR sequences only after console_serial_colors(1), so that
 * plain serial output is the text alone, byte for byte. */
enum console_style {
    CONSOLE_PLAIN,  /* light grey, as everything else */
    CONSOLE_MARKER, /* the glyph before a model's answer */
    CONSOLE_ANSWER, /* a model's answer: stands out */
    CONSOLE_DIM,    /* a status line: steps back */
};

void console_init(void);
void console_set_style(enum console_style style);
/* Whether styles reach the serial line as ANSI sequences (default 0). */
void console_serial_colors(int on);
#define CONSOLE_MARKER_COLS 2
/* Starts a model's answer: its marker, CONSOLE_MARKER_COLS wide (the CP437
 * glyph 0x02, a face, and a space on VGA; on serial "\u263b " in UTF-8,
 * only with serial colours), then the answer's style. */
void console_begin_answer(void);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_write(const char *s, size_t n);
void console_clear(void);
/* Blocks until a key arrives (halting between interrupts). */
int console_getc(void);
/* Non-blocking: 1 if Ctrl+C was pressed since the last call; pending input is
 * then discarded, the user asked to stop. */
int console_poll_cancel(void);

#endif
