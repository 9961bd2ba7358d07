/* console.c: joins the VGA screen and COM1 into one console. Serial input is
 * decoded from terminal conventions (CR for Enter, DEL for Backspace, ANSI
 * escape sequences for the arrows) into the same key codes as the keyboard. */
#include <stdarg.h>
#include "drivers/console.h"
#include "drivers/keyboard.h"
#include "drivers/serial.h"
#include "drivers/vga.h"
#include "arch/x86/io.h"
#include "arch/x86/timer.h"
#include "lib/printf.h"

#define ESC_TIMEOUT_MS 50 /* a lone ESC is a key, not the start of a sequence */

static int last_was_cr;

void console_init(void)
{
    vga_init();
    serial_init();
    keyboard_init();
}

void console_write(const char *s, size_t n)
{
    vga_write(s, n);
    serial_write(s, n);
}

void kprintf(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(buf))
        n = sizeof(buf) - 1;
    if (n > 0)
        console_write(buf, (size_t)n);
}

void console_clear(void)
{
    static const char ansi_clear[] = "\033[2J\033[H";
    vga_clear();
    serial_write(ansi_clear, sizeof(ansi_clear) - 1);
}

/* The next serial byte, waiting at most timeout_ms; -1 on timeout. */
static int serial_read_timeout(uint32_t timeout_ms)
{
    uint64_t end = timer_ns() + (uint64_t)timeout_ms * 1000000ull;
    for (;;) {
        int c = serial_read();
        if (c >= 0 || timer_ns() >= end)
            return c;
        cpu_sti_hlt();
    }
}

/* After ESC: "[A".."[D", "[H", "[F", "[3~", "[1~"/"[4~" (also "O"-prefixed). */
static int decode_escape(void)
{
    int c = serial_read_timeout(ESC_TIMEOUT_MS);
    if (c != '[' && c != 'O')
        return KEY_ESC;
    c = serial_read_timeout(ESC_TIMEOUT_MS);
    switch (c) {
    case 'A': return KEY_UP;
    case 'B': return KEY_DOWN;
    case 'C': return KEY_RIGHT;
    case 'D': return KEY_LEFT;
    case 'H': return KEY_HOME;
    case 'F': return KEY_END;
    default: break;
    }
    if (c >= '0' && c <= '9') {
        int code = c - '0';
        while ((c = serial_read_timeout(ESC_TIMEOUT_MS)) >= '0' && c <= '9')
            code = code * 10 + c - '0';
        if (c == '~') {
            switch (code) {
            case 1: case 7: return KEY_HOME;
            case 4: case 8: return KEY_END;
            case 3: return KEY_DELETE;
            default: break;
            }
        }
    }
    return -1; /* a sequence we do not know: ignore it */
}

/* Decodes one serial byte into a key code; -1 if it produced none. */
static int serial_key(int c)
{
    int after_cr = last_was_cr;
    last_was_cr = c == '\r';
    switch (c) {
    case '\r': return '\n';
    case '\n': return after_cr ? -1 : '\n'; /* CR LF is one Enter */
    case 0x7f: return '\b';
    case KEY_ESC: return decode_escape();
    default: return c;
    }
}

int console_getc(void)
{
    for (;;) {
        int key = keyboard_read();
        if (key >= 0)
            return key;
        int c = serial_read();
        if (c >= 0) {
            key = serial_key(c);
            if (key >= 0)
                return key;
            continue;
        }
        cpu_sti_hlt();
    }
}

int console_poll_cancel(void)
{
    if (!keyboard_cancel_pending() && !serial_cancel_pending())
        return 0;
    keyboard_flush();
    serial_flush_input();
    return 1;
}
