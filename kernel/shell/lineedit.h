/* lineedit.h: the interactive line editor shared by the VGA keyboard and the
 * serial console. */
#ifndef SHELL_LINEEDIT_H
#define SHELL_LINEEDIT_H
#include <stddef.h>

enum lineedit_result {
    LINE_OK,        /* a line was entered */
    LINE_CANCELLED, /* Ctrl+C */
    LINE_TOO_LONG,  /* input went past the buffer; the line is discarded */
};

/* Prints `prompt`, then edits into buf (size bytes incl. NUL): printable
 * keys and Tab, Backspace/Delete, Left/Right/Home/End, Up/Down through the history,
 * Ctrl+C cancels, Ctrl+L clears the screen. Entered non-empty lines join the
 * history. */
enum lineedit_result lineedit_read(const char *prompt, char *buf, size_t size);

#endif
